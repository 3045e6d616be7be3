/**
 * Shortest decimal text of a float32 value: the fewest significant digits (1-9) that read back
 * through `Math.fround` to the same float32. XGBoost 1.7 writes and expects this form; its
 * base_score parser silently ignores the 17-digit text of a float64.
 */
export const float32Text = (v: number): string => {
  const f = Math.fround(v)
  if (Object.is(f, -0)) return '-0'
  if (!Number.isFinite(f)) return String(f)
  for (let p = 1; p <= 9; p++) {
    const s = f.toPrecision(p)
    if (Math.fround(Number(s)) === f) return String(Number(s))
  }
  return String(f)
}

/** The same value in XGBoost's own style, e.g. `5E-1`, `-8.472978E-1`, `1.5E2`. */
export const float32TextXgb = (v: number): string => {
  const f = Math.fround(v)
  if (Object.is(f, -0)) return '-0E0'
  for (let p = 0; p <= 8; p++) {
    const s = f.toExponential(p)
    if (Math.fround(Number(s)) === f) return s.replace('e+', 'E').replace('e', 'E')
  }
  return f.toExponential(8).replace('e+', 'E').replace('e', 'E')
}

const MARK = '\u0000f32:'

/** A placeholder string that {@link stringifyWithRawNumbers} writes as the bare JSON number `text`. */
export const rawJsonNumber = (text: string): string => `${MARK}${text}`

/** JSON.stringify that turns {@link rawJsonNumber} placeholders into bare numbers. */
export const stringifyWithRawNumbers = (
  value: unknown,
  replacer?: (key: string, v: unknown) => unknown,
): string => JSON.stringify(value, replacer).replace(/"\\u0000f32:([^"]*)"/g, '$1')
