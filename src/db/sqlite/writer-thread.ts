/**
 * The writer thread: owns the only write connection. Its fsyncs block this
 * thread, not the event loop that parses and verifies requests.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { openDatabase } from './open.js'
import { executeBatch, type WriteItem } from './write-batch.js'

const { path } = workerData as { path: string }
const port = parentPort!
const db = openDatabase(path)

port.on('message', (message: { seq: number, items: WriteItem[] } | 'close') => {
  if (message === 'close') {
    db.close()
    port.close()
    return
  }
  port.postMessage({ seq: message.seq, outcomes: executeBatch(db, message.items) })
})
port.postMessage('ready')
