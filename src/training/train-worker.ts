/**
 * Worker-thread entry for training. Started by worker-pool.ts (from dist/ as .js, or from src/
 * as .ts with `--import tsx`). The ml-xgboost module lives only in this thread, so its abort or
 * a thrown string cannot take the server's thread down.
 */
import { parentPort } from 'node:worker_threads'
import { AppError } from '../core/errors.js'
import { trainBooster } from './ml-xgboost-adapter.js'
import { serveTrainingJobs } from './serve-training-jobs.js'

if (parentPort === null) {
  throw new AppError('INTERNAL', 'train-worker must be started as a worker thread')
}
serveTrainingJobs(parentPort, trainBooster)
