/**
 * ml-xgboost builds every DMatrix with `missing = -1`: a cell equal to -1 is "missing", and a NaN
 * aborts the WASM process. This one mapping is used by training and by serving alike:
 *
 * - a missing value (null, undefined, NaN) becomes -1, which XGBoost routes down the default branch;
 * - a real -1 becomes the next float32 below -1. No float32 lies between the two, so `x < t` gives
 *   the same answer for both against every float32 threshold t except t = -1 itself; and since
 *   training and serving both apply this mapping, the model only ever sees the mapped value.
 */
export const MISSING = -1

/** The largest float32 strictly below -1 (-1 - 2^-23). */
export const BELOW_MINUS_ONE = Math.fround(-1 - 2 ** -23)

/** Maps a cell to the float32 value XGBoost-in-WASM must see. */
export const toXgbValue = (x: number | null | undefined): number => {
  if (x === null || x === undefined || Number.isNaN(x)) return MISSING
  const f = Math.fround(x)
  return f === MISSING ? BELOW_MINUS_ONE : f
}

/** True when a value already mapped by {@link toXgbValue} means "missing". */
export const isMissingXgbValue = (v: number): boolean => v === MISSING

/** Maps a row-major matrix of cells into a Float32Array ready for the WASM heap or the predictor. */
export const toXgbMatrix = (
  rows: ReadonlyArray<ReadonlyArray<number | null | undefined>>,
  numCols: number,
): Float32Array => {
  const out = new Float32Array(rows.length * numCols)
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r] as ReadonlyArray<number | null | undefined>
    if (row.length !== numCols) {
      throw new RangeError(`row ${r} has ${row.length} values, expected ${numCols}`)
    }
    for (let c = 0; c < numCols; c++) out[r * numCols + c] = toXgbValue(row[c])
  }
  return out
}
