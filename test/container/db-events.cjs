// Lists the events stored in the gateway's database as JSON, each with its
// deliveries. Runs inside the image (podman exec -i C node - < db-events.cjs)
// with the image's own better-sqlite3, reading the file on the /data volume.
const Database = require('better-sqlite3')
const db = new Database(process.env.HOOKGATE_DB || '/data/hookgate.db', { readonly: true, fileMustExist: true })
const events = db.prepare('SELECT id, source, type, status FROM events ORDER BY id').all()
const deliveries = db.prepare('SELECT destination, status, attempts FROM deliveries WHERE event_id = ?')
for (const event of events) event.deliveries = deliveries.all(event.id)
db.close()
process.stdout.write(JSON.stringify(events) + '\n')
