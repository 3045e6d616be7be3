import { AppError } from '../../core/errors.js'

/**
 * Rejects any NaN in `x[from, to)`, naming its row and feature (row-major, `numFeature` values
 * per row, counted from the start of `x`). Inputs must be mapped by `toXgbValue` first (missing
 * = -1): a raw NaN has no single meaning here, since the predictor's `x >= t` and TreeSHAP's
 * `x < t` would send it opposite ways, and native XGBoost treats it as missing. One pass over
 * the input before the trees keeps the per-node loops free of the check.
 */
export const rejectNaNCells = (
  x: Float32Array,
  from: number,
  to: number,
  numFeature: number,
): void => {
  const i = firstNaN(x, from, to)
  if (i === -1) return
  const row = Math.floor(i / numFeature)
  throw new AppError(
    'VALIDATION',
    `row ${row}, feature ${i - row * numFeature} is NaN: map inputs with toXgbValue (missing = -1)`,
    { field: 'rows' },
  )
}

/** Index of the first NaN in `x[from, to)`, or -1. Measured ~2.5 ns a cell (3-4% of a predict). */
const firstNaN = (x: Float32Array, from: number, to: number): number => {
  for (let i = from; i < to; i++) {
    const v = x[i] as number
    // biome-ignore lint/suspicious/noSelfCompare: the cheapest NaN test in a hot scan
    if (v !== v) return i
  }
  return -1
}
