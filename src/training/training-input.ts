import { AppError } from '../core/errors.js'
import { toXgbMatrix } from '../ml/xgboost/missing.js'
import type { XgboostParams } from './xgboost-params.js'

/** A training set as the WASM booster takes it: a row-major float32 matrix and one label per row. */
export interface TrainingMatrix {
  /** rows × cols cells, already mapped by `toXgbMatrix` (missing = -1, a real -1 moved below). */
  readonly matrix: Float32Array
  readonly rows: number
  readonly cols: number
  readonly labels: Float32Array
}

/**
 * Builds a {@link TrainingMatrix} from plain rows, where `null`/`undefined`/NaN mean missing.
 * This is the only safe way in: it applies the one missing-value mapping shared with serving.
 */
export const trainingMatrixFromRows = (
  rows: ReadonlyArray<ReadonlyArray<number | null | undefined>>,
  labels: ReadonlyArray<number>,
  cols: number,
): TrainingMatrix => ({
  matrix: toXgbMatrix(rows, cols),
  rows: rows.length,
  cols,
  labels: Float32Array.from(labels),
})

const fail = (field: string, message: string): never => {
  throw new AppError('VALIDATION', message, { field })
}

/**
 * Checks shapes, cells and labels before anything reaches the WASM, where a bad value aborts
 * the module instead of raising an error: NaN cells (never produced by `toXgbMatrix`) and
 * infinite cells are refused, labels must be finite and fit the objective.
 * @throws AppError VALIDATION naming the field and the first offending row.
 */
export const validateTrainingMatrix = (t: TrainingMatrix, p: XgboostParams): void => {
  const { matrix, rows, cols, labels } = t
  if (!Number.isInteger(rows) || rows < 1)
    fail('rows', `rows must be a positive integer, got ${rows}`)
  if (!Number.isInteger(cols) || cols < 1)
    fail('cols', `cols must be a positive integer, got ${cols}`)
  if (matrix.length !== rows * cols) {
    fail('matrix', `matrix has ${matrix.length} cells, expected rows × cols = ${rows * cols}`)
  }
  if (labels.length !== rows) fail('labels', `labels has ${labels.length} values, expected ${rows}`)
  for (let i = 0; i < matrix.length; i++) {
    const v = matrix[i] as number
    if (!Number.isFinite(v)) {
      const where = `row ${Math.floor(i / cols)}, column ${i % cols}`
      fail(
        'matrix',
        Number.isNaN(v)
          ? `matrix cell at ${where} is NaN: build the matrix with toXgbMatrix so missing becomes -1`
          : `matrix cell at ${where} is ${v}: infinite values are not allowed`,
      )
    }
  }
  const classes = p.objective === 'multi:softprob' ? (p.num_class ?? 0) : 2
  for (let r = 0; r < rows; r++) {
    const y = labels[r] as number
    if (!Number.isFinite(y)) fail('labels', `label of row ${r} is ${y}: labels must be finite`)
    if (p.objective === 'binary:logistic' && y !== 0 && y !== 1) {
      fail('labels', `label of row ${r} is ${y}: binary:logistic needs 0 or 1`)
    }
    if (p.objective === 'multi:softprob' && !(Number.isInteger(y) && y >= 0 && y < classes)) {
      fail(
        'labels',
        `label of row ${r} is ${y}: multi:softprob needs an integer in 0..${classes - 1}`,
      )
    }
  }
}
