import { type MessagePort, threadId } from 'node:worker_threads'
import { AppError } from '../core/errors.js'
import { describeWasmThrow } from './heap-scope.js'
import type { TrainBoosterRequest, TrainedBooster } from './ml-xgboost-adapter.js'
import { isModuleBroken, loadMlXgboost } from './ml-xgboost-module.js'
import { type TrainJobMessage, type TrainReplyMessage, toWireError } from './worker-protocol.js'

/** The training function a worker runs; `trainBooster` in production. */
export type TrainFn = (request: TrainBoosterRequest) => Promise<TrainedBooster>

/**
 * Answers every job message on `port` with a reply (never leaves one unanswered). A throw that
 * is not an AppError came from inside the WASM module: the reply says `fatal`, so the pool
 * terminates this thread and starts a fresh one with a clean module.
 */
export const serveTrainingJobs = (port: MessagePort, train: TrainFn): void => {
  port.on('message', (msg: TrainJobMessage) => {
    void answer(port, msg, train)
  })
}

const answer = async (port: MessagePort, msg: TrainJobMessage, train: TrainFn): Promise<void> => {
  let reply: TrainReplyMessage
  const startedAtMs = performance.timeOrigin + performance.now()
  try {
    const { modelBytes } = await train(msg.request)
    const m = await loadMlXgboost()
    const run = {
      threadId,
      startedAtMs,
      finishedAtMs: performance.timeOrigin + performance.now(),
      wasmMemoryBytes: m.HEAP8.length,
    }
    reply = { id: msg.id, ok: true, modelBytes, run }
    port.postMessage(reply, [modelBytes.buffer as ArrayBuffer])
    return
  } catch (e) {
    const error =
      e instanceof AppError
        ? e
        : new AppError('INTERNAL', `training worker: ${describeWasmThrow(e)}`, { cause: e })
    reply = {
      id: msg.id,
      ok: false,
      error: toWireError(error),
      fatal: !(e instanceof AppError) || isModuleBroken(),
    }
  }
  port.postMessage(reply)
}
