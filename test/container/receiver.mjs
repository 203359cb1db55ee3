// The downstream service for the container test: a node:http server on
// 127.0.0.1 (a container on the host network reaches it there) that answers
// 200 and appends every request it gets to a JSON-lines log.
//
//   node receiver.mjs serve PORT_FILE LOG_FILE   listen on a free port, write it to PORT_FILE
//   node receiver.mjs count LOG_FILE EVENT_ID    how many CloudEvents with that id arrived
//
// A CloudEvent's id is in the ce-id header (binary mode) or in the JSON body
// (structured mode); both are accepted so the test does not pin the mode.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'

const [command, ...args] = process.argv.slice(2)

if (command === 'serve') {
  const [portFile, logFile] = args
  writeFileSync(logFile, '')
  const server = createServer((req, res) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      const entry = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }
      appendFileSync(logFile, JSON.stringify(entry) + '\n')
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
    })
  })
  server.listen(0, '127.0.0.1', () => writeFileSync(portFile, String(server.address().port)))
  // Bounded life: the test stops it, and it stops itself if the test dies badly.
  setTimeout(() => process.exit(0), 15 * 60_000).unref()
  process.on('SIGTERM', () => server.close(() => process.exit(0)))
} else if (command === 'count') {
  const [logFile, eventId] = args
  const lines = readFileSync(logFile, 'utf8').split('\n').filter(Boolean)
  console.log(lines.map((l) => JSON.parse(l)).filter((e) => cloudEventId(e) === eventId).length)
} else {
  console.error('usage: receiver.mjs serve PORT_FILE LOG_FILE | count LOG_FILE EVENT_ID')
  process.exit(2)
}

function cloudEventId (entry) {
  if (entry.headers['ce-id'] !== undefined) return entry.headers['ce-id']
  if (!String(entry.headers['content-type']).startsWith('application/cloudevents+json')) return undefined
  try { return JSON.parse(entry.body).id } catch { return undefined }
}
