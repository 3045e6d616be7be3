/**
 * Test fixture: a training worker that skips our validation when the matrix holds a NaN and
 * hands it straight to ml-xgboost, which then throws from inside the WASM ("There are NAN in
 * the matrix"). Any other job trains normally. Proves the pool survives a WASM failure.
 */
import { parentPort } from 'node:worker_threads'
import { AppError } from '../../core/errors.js'
import { type TrainBoosterRequest, trainBooster } from '../ml-xgboost-adapter.js'
import { loadMlXgboost } from '../ml-xgboost-module.js'
import { serveTrainingJobs } from '../serve-training-jobs.js'

const feedUnchecked = async (req: TrainBoosterRequest): Promise<never> => {
  const m = await loadMlXgboost()
  const data = m._malloc(req.matrix.byteLength)
  m.HEAPF32.set(req.matrix, data >> 2)
  const labels = m._malloc(req.labels.byteLength)
  m.HEAPF32.set(req.labels, labels >> 2)
  m._create_model(data, labels, req.rows, req.cols)
  throw new AppError('INTERNAL', 'fixture: ml-xgboost accepted a NaN matrix')
}

if (parentPort === null) throw new AppError('INTERNAL', 'fixture must run in a worker thread')
serveTrainingJobs(parentPort, (req) =>
  req.matrix.some(Number.isNaN) ? feedUnchecked(req) : trainBooster(req),
)
