import t from 'tap'
import { join } from 'node:path'
import { request } from 'undici'
import { signClerk } from '../../providers/sign.js'
import { openDatabase } from '../../src/db/sqlite/open.js'
import { startChildGateway, writeConfig } from '../child-gateway.js'
import { CLERK_SECRET, sqliteOnly } from '../helper.js'

const body = JSON.stringify({ data: { id: 'user_crash' }, object: 'event', timestamp: Date.now(), type: 'user.created' })

function send (url: string, id: string) {
  const headers = signClerk({ id, timestampSec: Math.floor(Date.now() / 1000), body, secret: CLERK_SECRET })
  return request(`${url}/webhooks/clerk`, { method: 'POST', headers, body })
}

t.test('an event acknowledged just before SIGKILL is there after restart', async (t) => {
  if (sqliteOnly(t)) return
  const dir = t.testdir()
  const dbPath = join(dir, 'hookgate.db')
  const config = writeConfig(dir, {
    server: { host: '127.0.0.1', port: 0 },
    storage: { path: dbPath },
    sources: { clerk: { provider: 'clerk', secret: CLERK_SECRET } }
  })
  const first = await startChildGateway(config)
  t.teardown(() => { if (first.child.exitCode === null && first.child.signalCode === null) first.child.kill('SIGKILL') })
  const ids: string[] = []
  for (let i = 0; i < 5; i++) {
    const res = await send(first.url, `msg_crash_${i}`)
    t.equal(res.statusCode, 200)
    ids.push((await res.body.json() as { id: string }).id)
  }
  first.child.kill('SIGKILL') // right after the last 2xx: no chance to flush anything more
  t.equal(await first.exited, 'SIGKILL')

  const db = openDatabase(dbPath, { readonly: true })
  const stored = db.prepare('SELECT id FROM events ORDER BY id').pluck().all()
  db.close()
  t.same(stored, ids, 'every acknowledged event is in the file')

  const second = await startChildGateway(config)
  t.teardown(() => { second.child.kill('SIGKILL') })
  const again = await send(second.url, 'msg_crash_4')
  t.same(await again.body.json(), { id: ids[4], duplicate: true }, 'a resend after restart is a duplicate')
  second.child.kill('SIGTERM')
  t.equal(await second.exited, 0, 'SIGTERM exits 0')
})
