// An example downstream service for compose.yaml: it receives the CloudEvents
// hookgate forwards and logs one line per event. Replace it with your own
// service; hookgate only needs a 2xx answer to count a delivery as done.
//
//   node echo-service.mjs           (PORT, default 3000; 0 picks a free one)
//
// hookgate sends CloudEvents 1.0 over HTTP: binary mode puts the attributes in
// ce-* headers and the payload in the body; structured mode
// (application/cloudevents+json) puts everything in the JSON body. Both are read.
import { createServer } from 'node:http'

const port = Number(process.env.PORT ?? 3000)

const server = createServer((req, res) => {
  const chunks = []
  req.on('data', (chunk) => chunks.push(chunk))
  req.on('end', () => {
    const event = cloudEvent(req.headers, Buffer.concat(chunks))
    console.log(JSON.stringify({ received: new Date().toISOString(), path: req.url, ...event }))
    res.writeHead(204).end()
  })
})

function cloudEvent (headers, body) {
  if (String(headers['content-type']).startsWith('application/cloudevents+json')) {
    const { specversion, id, type, source, subject, time, data } = JSON.parse(body.toString('utf8'))
    return { specversion, id, type, source, subject, time, dataBytes: JSON.stringify(data ?? null).length }
  }
  return {
    specversion: headers['ce-specversion'],
    id: headers['ce-id'],
    type: headers['ce-type'],
    source: headers['ce-source'],
    subject: headers['ce-subject'],
    time: headers['ce-time'],
    dataBytes: body.length
  }
}

server.listen(port, process.env.HOST ?? '0.0.0.0', () => console.log(`echo-service listening on :${server.address().port}`))
// As PID 1 in its container nothing else handles these: close and exit 0.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => server.close(() => process.exit(0)))
}
