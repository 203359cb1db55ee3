// npm start and npm test run this first: on an older Node, better-sqlite3 13
// crashes with a segmentation fault (22.12 and 22.13 too: better-sqlite3#1514),
// so say plainly what to do instead of letting that happen.
const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 22 || (major === 22 && minor < 14)) {
  process.stderr.write(
    `hookgate needs Node.js 22.14 or newer (24 or 26 LTS); this is ${process.version}.\n` +
    'Install Node 24 or 26, or run the same command through scripts/with-node.sh, which fetches one:\n' +
    '  scripts/with-node.sh 24 npm ci && scripts/with-node.sh 24 npm start\n')
  process.exit(1)
}
