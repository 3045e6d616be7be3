import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { AppError } from '../core/errors.js'
import type { TrainBoosterRequest, TrainedBooster } from './ml-xgboost-adapter.js'
import {
  fromWireError,
  type TrainJobMessage,
  type TrainReplyMessage,
  type WorkerRunInfo,
} from './worker-protocol.js'

export type { WorkerRunInfo } from './worker-protocol.js'

/** A trained model plus where and when it was trained. */
export interface PoolTrainResult extends TrainedBooster {
  readonly run: WorkerRunInfo
}

/** Options of {@link createTrainingPool}. */
export interface TrainingPoolOptions {
  /** Worker threads; default: the machine's cores. */
  readonly size?: number
  /** Kill a job's worker after this long (ms) and reject the job; default: no limit. */
  readonly jobTimeoutMs?: number
  /** Replace a worker once its WASM memory exceeds this (it never shrinks); default 1 GiB. */
  readonly maxWasmMemoryBytes?: number
  /** Worker entry; default train-worker.(ts|js) beside this file. Tests swap in fixtures. */
  readonly workerUrl?: URL
}

/** Trains boosters in worker threads. */
export interface TrainingPool {
  readonly size: number
  /** Queues a job; rejects with an AppError (also when the worker crashed). */
  train(request: TrainBoosterRequest): Promise<PoolTrainResult>
  /** Rejects queued and running jobs and stops every worker. */
  close(): Promise<void>
}

interface Job {
  readonly id: number
  readonly request: TrainBoosterRequest
  readonly resolve: (r: PoolTrainResult) => void
  readonly reject: (e: AppError) => void
}

interface Slot {
  worker: Worker | undefined
  job: Job | undefined
  timer: NodeJS.Timeout | undefined
}

const defaultWorkerUrl = (): URL => {
  // Under vitest/tsx this module is the .ts source; from dist/ it is compiled .js.
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js'
  return new URL(`./train-worker.${ext}`, import.meta.url)
}

/**
 * URL of tsx's ESM register API. `require.resolve` would give its CommonJS build, which cannot
 * register ESM hooks, so the ESM file is read from tsx's own `exports` map.
 */
const tsxEsmApiUrl = (): string => {
  const require = createRequire(import.meta.url)
  const manifestPath = require.resolve('tsx/package.json')
  const manifest = require(manifestPath) as {
    exports?: { './esm/api'?: { import?: { default?: string } } }
  }
  const file = manifest.exports?.['./esm/api']?.import?.default
  if (file === undefined)
    throw new AppError('INTERNAL', 'tsx has no ESM register API (tsx/esm/api)')
  return pathToFileURL(join(dirname(manifestPath), file)).href
}

/**
 * Starts the worker entry. A .ts entry (under vitest/tsx) needs tsx's loader in the new thread;
 * on Node 20 `execArgv: ['--import', 'tsx']` does not reach a worker's entry module, so a tiny
 * bootstrap registers tsx's ESM hooks and then imports the entry.
 */
const startWorker = (entry: URL): Worker => {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry)
  const tsxApi = tsxEsmApiUrl()
  const bootstrap = `import(${JSON.stringify(tsxApi)})
  .then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}) })`
  return new Worker(bootstrap, { eval: true })
}

/**
 * Starts a pool of training workers (lazily, on the first job). One job per worker at a time,
 * first in first out. A worker that dies, throws inside WASM or times out is discarded and its
 * job rejected with an AppError; the next job gets a fresh worker. Idle workers do not keep the
 * process alive.
 */
export const createTrainingPool = (options: TrainingPoolOptions = {}): TrainingPool => {
  const size = options.size ?? Math.max(1, availableParallelism())
  if (!Number.isInteger(size) || size < 1) {
    throw new AppError('VALIDATION', `pool size must be a positive integer, got ${size}`, {
      field: 'size',
    })
  }
  const workerUrl = options.workerUrl ?? defaultWorkerUrl()
  const maxMemory = options.maxWasmMemoryBytes ?? 2 ** 30
  const slots: Slot[] = Array.from({ length: size }, () => ({
    worker: undefined,
    job: undefined,
    timer: undefined,
  }))
  const queue: Job[] = []
  let nextId = 1
  let closed = false

  const spawn = (slot: Slot): Worker => {
    const worker = startWorker(workerUrl)
    worker.on('message', (reply: TrainReplyMessage) => onReply(slot, worker, reply))
    worker.on('error', (e: unknown) => {
      const why = e instanceof Error ? e.message : String(e)
      discard(slot, worker, new AppError('INTERNAL', `training worker crashed: ${why}`))
    })
    worker.on('exit', (code) => {
      discard(slot, worker, new AppError('INTERNAL', `training worker exited with code ${code}`))
    })
    slot.worker = worker
    return worker
  }

  /** Ends the slot's current job (if any) and frees the slot for the next one. */
  const finish = (slot: Slot): Job | undefined => {
    const job = slot.job
    slot.job = undefined
    if (slot.timer !== undefined) clearTimeout(slot.timer)
    slot.timer = undefined
    slot.worker?.unref()
    return job
  }

  /** Drops a worker that must not be reused, rejecting its job; later events of it are ignored. */
  const discard = (slot: Slot, worker: Worker, error: AppError): void => {
    if (slot.worker !== worker) return
    finish(slot)?.reject(error)
    slot.worker = undefined
    void worker.terminate()
    dispatch()
  }

  const onReply = (slot: Slot, worker: Worker, reply: TrainReplyMessage): void => {
    if (slot.worker !== worker || slot.job?.id !== reply.id) return
    const job = finish(slot)
    if (reply.ok) {
      job?.resolve({ modelBytes: reply.modelBytes, run: reply.run })
      if (reply.run.wasmMemoryBytes > maxMemory) discardQuietly(slot, worker)
    } else {
      job?.reject(fromWireError(reply.error))
      if (reply.fatal) discardQuietly(slot, worker)
    }
    dispatch()
  }

  const discardQuietly = (slot: Slot, worker: Worker): void => {
    slot.worker = undefined
    void worker.terminate()
  }

  const dispatch = (): void => {
    if (closed) return
    for (const slot of slots) {
      if (slot.job !== undefined) continue
      const job = queue.shift()
      if (job === undefined) return
      const worker = slot.worker ?? spawn(slot)
      slot.job = job
      worker.ref()
      if (options.jobTimeoutMs !== undefined) {
        const ms = options.jobTimeoutMs
        slot.timer = setTimeout(() => {
          discard(slot, worker, new AppError('UNAVAILABLE', `training took longer than ${ms} ms`))
        }, ms)
      }
      const msg: TrainJobMessage = { id: job.id, request: job.request }
      worker.postMessage(msg)
    }
  }

  return {
    size,
    train: (request) =>
      new Promise<PoolTrainResult>((resolve, reject) => {
        if (closed) {
          reject(new AppError('UNAVAILABLE', 'training pool is closed'))
          return
        }
        queue.push({ id: nextId++, request, resolve, reject })
        dispatch()
      }),
    close: async () => {
      closed = true
      const gone = new AppError('UNAVAILABLE', 'training pool closed')
      for (let job = queue.shift(); job !== undefined; job = queue.shift()) job.reject(gone)
      const stopping: Promise<number>[] = []
      for (const slot of slots) {
        const worker = slot.worker
        finish(slot)?.reject(gone)
        slot.worker = undefined
        if (worker !== undefined) stopping.push(worker.terminate())
      }
      await Promise.all(stopping)
    },
  }
}
