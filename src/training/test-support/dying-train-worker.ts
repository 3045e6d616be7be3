/**
 * Test fixture: a training worker whose WASM failure escapes every handler, as an emscripten
 * abort in a callback would: NaN cells go to ml-xgboost from a timer, so its thrown string is
 * uncaught and the thread dies. Any other job trains normally.
 */
import { parentPort } from 'node:worker_threads'
import { AppError } from '../../core/errors.js'
import { type TrainBoosterRequest, trainBooster } from '../ml-xgboost-adapter.js'
import { loadMlXgboost } from '../ml-xgboost-module.js'
import { serveTrainingJobs } from '../serve-training-jobs.js'

const dieInWasm = async (req: TrainBoosterRequest): Promise<never> => {
  const m = await loadMlXgboost()
  setImmediate(() => {
    const data = m._malloc(req.matrix.byteLength)
    m.HEAPF32.set(req.matrix, data >> 2)
    const labels = m._malloc(req.labels.byteLength)
    m.HEAPF32.set(req.labels, labels >> 2)
    m._create_model(data, labels, req.rows, req.cols)
  })
  // Never settles: the thread is gone before a reply could be sent.
  return new Promise<never>(() => {})
}

if (parentPort === null) throw new AppError('INTERNAL', 'fixture must run in a worker thread')
serveTrainingJobs(parentPort, (req) =>
  req.matrix.some(Number.isNaN) ? dieInWasm(req) : trainBooster(req),
)
