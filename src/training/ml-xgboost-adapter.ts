import { AppError } from '../core/errors.js'
import { HeapScope } from './heap-scope.js'
import { assertModuleUsable, loadMlXgboost, type XgbWasmModule } from './ml-xgboost-module.js'
import { type TrainingMatrix, validateTrainingMatrix } from './training-input.js'
import { parseXgboostParams, toXgbParamPairs, type XgboostParamsInput } from './xgboost-params.js'

/** One training job. The matrix must come from `toXgbMatrix` (see training-input.ts). */
export interface TrainBoosterRequest extends TrainingMatrix {
  /** Validated by `parseXgboostParams`; our defaults fill the rest. */
  readonly params?: XgboostParamsInput
  /** Boosting rounds (trees per output group). */
  readonly numRounds: number
}

/** What training hands back: the model exactly as ml-xgboost saves it (`toJSON().model`). */
export interface TrainedBooster {
  /** XGBoost 0.7 legacy binary model (see shared/reference/xgboost-legacy-binary-format.md). */
  readonly modelBytes: Uint8Array
}

/** Upper bound on rounds, to refuse typos like 1e6 before they occupy a core for hours. */
export const MAX_ROUNDS = 10_000

/**
 * Trains a gradient-boosted tree model with ml-xgboost's WASM build of XGBoost 0.7.
 *
 * The matrix and labels are copied straight into `_malloc`ed heap blocks and passed to the C
 * glue by pointer. ml-xgboost's own `train()` instead copies them onto the 5 MB WASM stack,
 * which overflows above about 1.2 M cells. Every block and the booster are freed in `finally`.
 * @throws AppError VALIDATION / UNSUPPORTED for bad input (nothing reaches the WASM then),
 *   INTERNAL when XGBoost itself fails (the module is then unusable in this thread).
 */
export const trainBooster = async (req: TrainBoosterRequest): Promise<TrainedBooster> => {
  const params = parseXgboostParams(req.params ?? {})
  if (!Number.isInteger(req.numRounds) || req.numRounds < 1 || req.numRounds > MAX_ROUNDS) {
    throw new AppError('VALIDATION', `numRounds must be an integer in 1..${MAX_ROUNDS}`, {
      field: 'numRounds',
    })
  }
  validateTrainingMatrix(req, params)
  const m = await loadMlXgboost()
  assertModuleUsable()
  const scope = new HeapScope(m)
  try {
    const data = scope.alloc(req.matrix.byteLength)
    m.HEAPF32.set(req.matrix, data >> 2)
    const labels = scope.alloc(req.labels.byteLength)
    m.HEAPF32.set(req.labels, labels >> 2)
    const booster = scope.own(m._create_model(data, labels, req.rows, req.cols))
    if (booster === 0) throw new AppError('INTERNAL', 'ml-xgboost could not create a booster')
    // The DMatrix holds its own (sparse) copy now: give our dense copy back before training.
    scope.freeNow(data)
    scope.freeNow(labels)
    const setParam = m.cwrap('set_param', null, ['number', 'string', 'string'])
    for (const [name, value] of toXgbParamPairs(params)) setParam(booster, name, value)
    m._train_full_model(booster, req.numRounds)
    return { modelBytes: saveModel(m, scope, booster) }
  } catch (e) {
    throw scope.failure(e, 'training')
  } finally {
    scope.release()
  }
}

const saveModel = (m: XgbWasmModule, scope: HeapScope, booster: number): Uint8Array => {
  const size = m._save_model(booster)
  if (size <= 0) throw new AppError('INTERNAL', `ml-xgboost save_model returned ${size}`)
  const buf = scope.alloc(size)
  m._get_file_content(buf, size)
  return m.HEAPU8.slice(buf, buf + size)
}

/** Predictions of {@link predictWithMlXgboost}: `width` values per row, row-major. */
export interface MlXgboostPredictions {
  readonly values: Float32Array
  /** 1 for binary and regression (probability / value), num_class for multi:softprob. */
  readonly width: number
}

/** num_class from the LearnerModelParam at the start of the legacy model ("binf" prefix optional). */
const numClassOf = (bytes: Uint8Array): number => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const start = bytes.length >= 4 && view.getUint32(0, false) === 0x62696e66 ? 4 : 0
  if (bytes.length < start + 136) {
    throw new AppError('CORRUPT_MODEL', `model has ${bytes.length} bytes, too short for a header`)
  }
  return view.getInt32(start + 8, true)
}

/**
 * Loads model bytes into ml-xgboost and predicts every row with XGBoost's own predictor
 * (transformed output: probabilities for logistic/softprob). One DMatrix per row, so it is
 * slow: an oracle for tests and benchmarks, not a serving path.
 * @throws AppError VALIDATION for a bad matrix, CORRUPT_MODEL when XGBoost refuses the bytes.
 */
export const predictWithMlXgboost = async (
  modelBytes: Uint8Array,
  matrix: Float32Array,
  rows: number,
  cols: number,
): Promise<MlXgboostPredictions> => {
  if (matrix.length !== rows * cols) {
    throw new AppError('VALIDATION', `matrix has ${matrix.length} cells, expected ${rows * cols}`, {
      field: 'matrix',
    })
  }
  const bad = matrix.findIndex((v) => !Number.isFinite(v))
  if (bad >= 0) {
    throw new AppError('VALIDATION', `matrix cell ${bad} is not finite: map it with toXgbValue`, {
      field: 'matrix',
    })
  }
  const width = Math.max(1, numClassOf(modelBytes))
  const m = await loadMlXgboost()
  assertModuleUsable()
  const scope = new HeapScope(m)
  try {
    const buf = scope.alloc(modelBytes.length)
    m.HEAPU8.set(modelBytes, buf)
    const booster = scope.own(m._load_model(buf, modelBytes.length))
    if (booster === 0) throw new AppError('CORRUPT_MODEL', 'ml-xgboost could not load the model')
    const row = scope.alloc(cols * 4)
    const out = scope.alloc(width * 4)
    const values = new Float32Array(rows * width)
    for (let r = 0; r < rows; r++) {
      m.HEAPF32.set(matrix.subarray(r * cols, (r + 1) * cols), row >> 2)
      const n = m._predict_one(booster, row, cols, out)
      if (n !== width)
        throw new AppError('INTERNAL', `predict_one gave ${n} values, expected ${width}`)
      values.set(m.HEAPF32.subarray(out >> 2, (out >> 2) + width), r * width)
    }
    return { values, width }
  } catch (e) {
    throw scope.failure(e, 'predicting')
  } finally {
    scope.release()
  }
}
