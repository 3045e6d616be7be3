import type { FeatureValue } from '../offline/offline-store.js'
import type { Field } from './schema.js'

/** Why one cell could not be read; returned (not thrown) so a row collects all its errors. */
export class CellRejection {
  constructor(readonly reason: string) {}
}

/** Reads one raw CSV cell of a field into its typed value. */
export type FieldParser = (raw: string) => FeatureValue | CellRejection

/** Plain decimal numbers only: no hex, no `Infinity`, no `NaN`, no thousands separators. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/

/**
 * Compiles the parser of one field, once per ingest (the hot loop only runs the closure).
 *
 * Rules, decided here for every source:
 * - the cell is trimmed first; leading/trailing blanks never carry meaning in these files;
 * - it is missing when it equals one of the source's or the field's `missing_values`; for int and
 *   float fields a numeric missing value also matches its other spellings (`0` matches `0.0`);
 * - missing in a nullable field → null; in a `nullable: false` field → rejected;
 * - int: plain decimal digits with at most a zero fraction (`63.0` is 63, as UCI writes integers
 *   as floats; `1.5` and exponent notation `1e2` are rejected), within ±(2^53 - 1);
 * - float: any decimal number; `-1` is a real value here (only `missing_values` mean missing);
 * - bool: exactly one of `true_values` / `false_values`;
 * - categorical: exactly one of `values` (case-sensitive; `None` is a category where listed);
 * - string: the trimmed text, without NUL characters (Postgres text cannot hold them).
 */
export const compileFieldParser = (field: Field, sourceMissing: readonly string[]): FieldParser => {
  const missing = new Set([...sourceMissing, ...field.missing_values])
  const onMissing = field.nullable
    ? null
    : new CellRejection('missing value in a non-nullable field')
  const typed = typedParser(field, missing)
  return (raw) => {
    const cell = raw.trim()
    if (missing.has(cell)) return onMissing
    return typed(cell)
  }
}

/** Integral text: digits, optionally `.` and zeros (`63.0`); the fraction is judged on the text,
 * since above 2^52 a double cannot hold `.5` and Number() would round it to an integer. */
const INTEGRAL = /^[+-]?(?:\d+\.?0*|\.0+)$/

const intTextRejection = (cell: string): CellRejection | undefined => {
  if (/[eE]/.test(cell)) return new CellRejection('exponent notation is not allowed for int fields')
  return INTEGRAL.test(cell) ? undefined : new CellRejection('not an integer')
}

const typedParser = (
  field: Field,
  missing: ReadonlySet<string>,
): ((cell: string) => FeatureValue | CellRejection) => {
  switch (field.type) {
    case 'int':
    case 'float': {
      const missingNumbers = new Set([...missing].filter((m) => DECIMAL.test(m)).map(Number))
      const integral = field.type === 'int'
      return (cell) => {
        if (!DECIMAL.test(cell)) return new CellRejection(`not a number (${field.type})`)
        if (integral) {
          const rejection = intTextRejection(cell)
          if (rejection) return rejection
        }
        const n = Number(cell)
        if (integral && !Number.isSafeInteger(n)) {
          return new CellRejection('integer out of range (±2^53)')
        }
        if (!Number.isFinite(n)) return new CellRejection('number out of range')
        if (missingNumbers.has(n))
          return field.nullable ? null : new CellRejection('missing value in a non-nullable field')
        // -0 and 0 are the same reading; store 0 so equality and hashing agree.
        return n === 0 ? 0 : n
      }
    }
    case 'bool': {
      const t = new Set(field.true_values)
      const f = new Set(field.false_values)
      const expected = `expected one of ${[...t, ...f].join(', ')}`
      return (cell) =>
        t.has(cell) ? true : f.has(cell) ? false : new CellRejection(`not a bool (${expected})`)
    }
    case 'categorical': {
      const values = new Set(field.values)
      const expected =
        field.values.length <= 12
          ? `: ${field.values.join(', ')}`
          : ` (${field.values.length} values)`
      return (cell) =>
        values.has(cell) ? cell : new CellRejection(`not a listed category${expected}`)
    }
    case 'string':
      return (cell) => (hasNul(cell) ? new CellRejection(NUL_REASON) : cell)
  }
}

const NUL = '\u0000'
/** Also used for entity keys, which are stored as text too. */
export const NUL_REASON = 'contains a NUL character (U+0000), which Postgres text cannot store'

/** Whether a cell holds a NUL character (see `NUL_REASON`). */
export const hasNul = (text: string): boolean => text.includes(NUL)
