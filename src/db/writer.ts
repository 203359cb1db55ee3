import { Worker } from 'node:worker_threads'
import type { OpArgs, OpName, OpResult } from './write-ops.js'
import type { WriteItem, WriteOutcome } from './write-batch.js'

interface Pending { item: WriteItem, resolve: (v: unknown) => void, reject: (e: Error) => void }

export class WriteError extends Error {
  readonly code: string | undefined
  constructor (message: string, code?: string) {
    super(message)
    this.name = 'WriteError'
    this.code = code
  }
}

/** The most ops one transaction carries: bounds the time a batch holds the lock. */
const MAX_BATCH = 512

/**
 * The main thread's handle on the writer thread. Calls queue up while a batch
 * is being committed and all go in the next one, which starts as soon as the
 * previous commit ends (no timer): under load, batches grow by themselves.
 */
export class Writer {
  #worker: Worker
  #queue: Pending[] = []
  #inFlight: Pending[] | null = null
  #seq = 0
  #scheduled = false
  #closed = false
  #exited: Promise<void>

  private constructor (worker: Worker) {
    this.#worker = worker
    this.#exited = new Promise((resolve) => worker.once('exit', () => resolve()))
    worker.on('message', (message: { seq: number, outcomes: WriteOutcome[] }) => this.#settle(message.outcomes))
    worker.on('error', (err) => this.#failAll(err))
    worker.on('exit', () => this.#failAll(new WriteError('writer thread exited', 'HG_WRITER_EXITED')))
  }

  static async start (path: string): Promise<Writer> {
    const worker = spawnWriterThread(path)
    // Remove only our own listeners after: Worker keeps internal ones (removeAllListeners would stop its port).
    let onMessage!: (m: unknown) => void
    let onError!: (e: Error) => void
    let onExit!: (code: number) => void
    try {
      await new Promise<void>((resolve, reject) => {
        onMessage = (m) => { if (m === 'ready') resolve() }
        onError = reject
        onExit = (code) => reject(new Error(`writer thread exited at start (code ${code})`))
        worker.on('message', onMessage).on('error', onError).on('exit', onExit)
      })
    } finally {
      worker.off('message', onMessage).off('error', onError).off('exit', onExit)
    }
    return new Writer(worker)
  }

  get closed (): boolean { return this.#closed }

  /** Runs one op in the next group commit; resolves once it is durable. */
  run<K extends OpName> (op: K, args: OpArgs<K>): Promise<OpResult<K>> {
    if (this.#closed) return Promise.reject(new WriteError('writer is closed', 'HG_WRITER_CLOSED'))
    return new Promise((resolve, reject) => {
      this.#queue.push({ item: { op, args }, resolve: resolve as (v: unknown) => void, reject })
      this.#schedule()
    })
  }

  /** Waits for queued work to commit, then stops the thread. */
  async close (): Promise<void> {
    if (this.#closed) return this.#exited
    while (this.#queue.length > 0 || this.#inFlight !== null) await new Promise((resolve) => setImmediate(resolve))
    this.#closed = true
    this.#worker.postMessage('close')
    await this.#exited
  }

  #schedule (): void {
    if (this.#scheduled || this.#inFlight !== null) return
    this.#scheduled = true
    // setImmediate, not a microtask: requests parsed in the same I/O phase join the batch.
    setImmediate(() => {
      this.#scheduled = false
      this.#flush()
    })
  }

  #flush (): void {
    if (this.#inFlight !== null || this.#queue.length === 0) return
    const batch = this.#queue.splice(0, MAX_BATCH)
    this.#inFlight = batch
    this.#worker.postMessage({ seq: ++this.#seq, items: batch.map((p) => p.item) })
  }

  #settle (outcomes: WriteOutcome[]): void {
    const batch = this.#inFlight ?? []
    this.#inFlight = null
    batch.forEach((pending, i) => {
      const outcome = outcomes[i]
      if (outcome?.ok === true) pending.resolve(outcome.value)
      else pending.reject(new WriteError(outcome?.error.message ?? 'no outcome', outcome?.error.code))
    })
    this.#flush()
  }

  #failAll (err: Error): void {
    this.#closed = true
    const all = [...(this.#inFlight ?? []), ...this.#queue.splice(0)]
    this.#inFlight = null
    for (const pending of all) pending.reject(err instanceof WriteError ? err : new WriteError(err.message, 'HG_WRITER_FAILED'))
  }
}

/**
 * Under tsx (tests, dev) the thread must load TypeScript too: Node 20 does not
 * pass module hooks to workers, so the thread registers tsx before importing.
 */
function spawnWriterThread (path: string): Worker {
  const fromSource = import.meta.url.endsWith('.ts')
  const entry = new URL(fromSource ? './writer-thread.ts' : './writer-thread.js', import.meta.url)
  if (!fromSource) return new Worker(entry, { workerData: { path } })
  const tsx = import.meta.resolve('tsx/esm/api')
  const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}) })`
  return new Worker(bootstrap, { eval: true, workerData: { path } })
}
