import { AppError } from '../../core/errors.js'
import { rejectNaNCells } from '../xgboost/nan-cells.js'

/** Which exact TreeSHAP algorithm an explainer runs. Both give the same values. */
export type ShapAlgorithm = 'tree-shap' | 'fast-tree-shap-v2'

/**
 * Exact path-dependent SHAP values of a tree ensemble, in margin space.
 *
 * Output layout, as XGBoost's `pred_contribs`: per row, per output group, one value per feature
 * then the bias (the expected margin). So a row takes `numGroup * (numFeature + 1)` values and
 * `out[row * rowWidth + group * (numFeature + 1) + feature]` is feature's contribution.
 * For each row and group, the contributions plus the bias sum to the margin.
 */
export interface ShapExplainer {
  readonly algorithm: ShapAlgorithm
  readonly numFeature: number
  readonly numGroup: number
  /** Values per row: `numGroup * (numFeature + 1)`. */
  readonly rowWidth: number
  /** Expected margin per group: base margin + cover-weighted mean leaf of each tree. */
  readonly expectedValue: Float64Array
  /** Bytes held by precomputed per-model tables (0 when the algorithm needs none). */
  readonly tableBytes: number
  /** Explains one row (already mapped by `toXgbValue`, `-1` = missing; NaN is `VALIDATION`). */
  explainRow(row: Float32Array): Float64Array
  /** Explains `numRows` row-major rows; writes into `out` when given (length `numRows * rowWidth`). */
  explainRows(rows: Float32Array, numRows: number, out?: Float64Array): Float64Array
}

/**
 * Accumulates the contributions (bias excluded) of rows `[rowStart, rowEnd)` of the row-major
 * `rows` into `out`, row r's values starting at `r * rowWidth`. `out` is zeroed beforehand.
 * Kernels may order the work as they like (e.g. trees outermost so a tree stays in cache).
 */
export type ContributionKernel = (
  rows: Float32Array,
  rowStart: number,
  rowEnd: number,
  out: Float64Array,
) => void

/** Wraps a kernel with the shape checks and the bias column shared by every algorithm. */
export const makeExplainer = (spec: {
  algorithm: ShapAlgorithm
  numFeature: number
  numGroup: number
  expectedValue: Float64Array
  tableBytes: number
  kernel: ContributionKernel
}): ShapExplainer => {
  const { numFeature, numGroup, expectedValue, kernel } = spec
  const groupWidth = numFeature + 1
  const rowWidth = numGroup * groupWidth

  const explainRows = (rows: Float32Array, numRows: number, out?: Float64Array): Float64Array => {
    if (!Number.isInteger(numRows) || numRows < 0 || rows.length !== numRows * numFeature) {
      throw new AppError(
        'VALIDATION',
        `rows has ${rows.length} values, expected ${numRows} rows × ${numFeature} features`,
        { field: 'rows' },
      )
    }
    // The kernels send NaN right, the predictor left: refuse it so both always agree.
    rejectNaNCells(rows, 0, rows.length, numFeature)
    const result = out ?? new Float64Array(numRows * rowWidth)
    if (result.length !== numRows * rowWidth) {
      throw new AppError(
        'VALIDATION',
        `out has ${result.length} values, expected ${numRows * rowWidth}`,
        {
          field: 'out',
        },
      )
    }
    if (out !== undefined) result.fill(0)
    kernel(rows, 0, numRows, result)
    for (let r = 0; r < numRows; r++) {
      for (let g = 0; g < numGroup; g++) {
        result[r * rowWidth + g * groupWidth + numFeature] = expectedValue[g] ?? 0
      }
    }
    return result
  }

  return {
    algorithm: spec.algorithm,
    numFeature,
    numGroup,
    rowWidth,
    expectedValue,
    tableBytes: spec.tableBytes,
    explainRow: (row) => explainRows(row, 1),
    explainRows,
  }
}
