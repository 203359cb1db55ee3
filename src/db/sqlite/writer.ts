import { Worker } from 'node:worker_threads'
import { HG_ERR_WRITE_EXPIRED, HG_ERR_WRITER_CLOSED, HG_ERR_WRITER_EXITED, HG_ERR_WRITER_FAILED } from '../../errors.js'
import type { WriteOptions } from '../../store/contract.js'
import type { OpArgs, OpName, OpResult } from './write-ops.js'
import type { WriteItem, WriteOutcome } from './write-batch.js'

interface Pending { item: WriteItem, resolve: (v: unknown) => void, reject: (e: Error) => void, signal?: AbortSignal | undefined }

/** A failure the thread reported for one op: SQLite's message and its SQLITE_* code. */
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
/** A thread that dies more often than this within RESTART_WINDOW_MS will die again: give up, let the supervisor restart the process. */
export const MAX_RESTARTS = 3
const RESTART_WINDOW_MS = 60_000

export interface WriterEvents {
  /** The thread died and a new one took over; the batch it was committing was refused (its senders retry). */
  readonly onRestart?: (err: Error, restarts: number) => void
  /** The thread died once too often: nothing is taken any more; exit so a supervisor starts afresh. */
  readonly onFatal?: (err: Error) => void
}

/**
 * The main thread's handle on the writer thread. Calls queue up while a batch
 * is being committed and all go in the next one, which starts as soon as the
 * previous commit ends (no timer): under load, batches grow by themselves.
 * A thread that dies is replaced (a bounded number of times): the batch it
 * held is refused, since whether it committed is unknown, and the queue,
 * never sent, goes to the new thread.
 */
export class Writer {
  #worker: Worker
  #queue: Pending[] = []
  #inFlight: Pending[] | null = null
  #seq = 0
  #scheduled = false
  #closed = false
  #closing = false
  #restarting: Promise<void> | null = null
  #restarts: number[] = []
  #exited: Promise<void> = Promise.resolve()
  readonly #path: string
  readonly #events: WriterEvents

  private constructor (path: string, worker: Worker, events: WriterEvents) {
    this.#path = path
    this.#events = events
    this.#worker = worker
    this.#adopt(worker)
  }

  static async start (path: string, events: WriterEvents = {}): Promise<Writer> {
    return new Writer(path, await startThread(path), events)
  }

  #adopt (worker: Worker): void {
    this.#worker = worker
    let failure: Error | undefined
    this.#exited = new Promise((resolve) => worker.once('exit', () => resolve()))
    worker.on('message', (message: { seq: number, outcomes: WriteOutcome[] }) => this.#settle(message.outcomes))
    worker.on('error', (err) => { failure = err })
    worker.on('exit', (code) => { if (!this.#closing) this.#died(failure ?? new HG_ERR_WRITER_EXITED(code)) })
  }

  /** Ends the thread as a crash would (fault tests); resolves once a new one has taken over or the writer gave up. */
  async kill (): Promise<void> {
    const worker = this.#worker
    await worker.terminate()
    while (this.#restarting !== null) await this.#restarting
  }

  get closed (): boolean { return this.#closed }

  /** Ops waiting for the next batch, and in the batch being committed. */
  get depth (): { readonly queued: number, readonly inFlight: number } {
    return { queued: this.#queue.length, inFlight: this.#inFlight?.length ?? 0 }
  }

  /** Runs one op in the next group commit; resolves once it is durable. */
  run<K extends OpName> (op: K, args: OpArgs<K>, options: WriteOptions = {}): Promise<OpResult<K>> {
    if (this.#closed) return Promise.reject(new HG_ERR_WRITER_CLOSED())
    return new Promise((resolve, reject) => {
      const pending: Pending = { item: { op, args }, resolve: resolve as (v: unknown) => void, reject, signal: options.signal }
      this.#queue.push(pending)
      this.#schedule()
    })
  }

  /** Waits for queued work to commit, then stops the thread. */
  async close (): Promise<void> {
    if (this.#closed) return this.#exited
    while (this.#queue.length > 0 || this.#inFlight !== null || this.#restarting !== null) await new Promise((resolve) => setImmediate(resolve))
    this.#closed = true
    this.#closing = true
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
    if (this.#inFlight !== null || this.#restarting !== null || this.#queue.length === 0) return
    const batch: Pending[] = []
    let taken = 0
    while (batch.length < MAX_BATCH && taken < this.#queue.length) {
      const pending = this.#queue[taken++]!
      // Given up on: its request was already refused, so committing it now would store what the sender was told was not.
      if (pending.signal?.aborted === true) pending.reject(new HG_ERR_WRITE_EXPIRED())
      else batch.push(pending)
    }
    this.#queue.splice(0, taken)
    if (batch.length === 0) return
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

  #died (err: Error): void {
    const batch = this.#inFlight ?? []
    this.#inFlight = null
    const refused = coded(err)
    for (const pending of batch) pending.reject(refused)
    const now = Date.now()
    this.#restarts = this.#restarts.filter((at) => now - at < RESTART_WINDOW_MS)
    if (this.#restarts.length >= MAX_RESTARTS) return this.#giveUp(refused)
    this.#restarts.push(now)
    this.#restarting = startThread(this.#path).then((worker) => {
      this.#restarting = null
      this.#adopt(worker)
      this.#events.onRestart?.(refused, this.#restarts.length)
      this.#flush()
    }, (startErr: Error) => {
      this.#restarting = null
      this.#giveUp(startErr)
    })
  }

  #giveUp (err: Error): void {
    this.#failAll(err)
    this.#events.onFatal?.(err)
  }

  #failAll (err: Error): void {
    this.#closed = true
    const all = [...(this.#inFlight ?? []), ...this.#queue.splice(0)]
    this.#inFlight = null
    const refused = coded(err)
    for (const pending of all) pending.reject(refused)
  }
}

/** The thread's death as one of our codes: an uncaught error in it, or a start that failed, is HG_ERR_WRITER_FAILED. */
function coded (err: Error): Error {
  const code = (err as { code?: unknown }).code
  return typeof code === 'string' && code.startsWith('HG_ERR_WRITE') ? err : new HG_ERR_WRITER_FAILED(err.message)
}

/** Spawns a writer thread and waits for its 'ready'. */
async function startThread (path: string): Promise<Worker> {
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
  return worker
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
