import { describe, expect, it } from 'vitest'
import { readGoldenModel } from '../../../test/golden/golden-format.js'
import { appErrorOf } from '../../../test/support/app-error.js'
import { parseLegacyModel } from './legacy-binary-parser.js'
import { toXgbValue } from './missing.js'
import { predict, predictMargins, predictRowMargins } from './predict.js'

const failure = appErrorOf

const model = parseLegacyModel(readGoldenModel('heart'))
const nf = model.numFeature
/** Six rows (enough for the 4-row unrolled loop and its tail), all cells 1. */
const rowsWithNaNAt = (row: number, feature: number): Float32Array => {
  const x = new Float32Array(6 * nf).fill(1)
  x[row * nf + feature] = Number.NaN
  return x
}
const nanMessage = (row: number, feature: number): string =>
  `VALIDATION: row ${row}, feature ${feature} is NaN: map inputs with toXgbValue (missing = -1)`

describe('NaN inputs', () => {
  it.each([
    [0, 0],
    [2, 7],
    [5, nf - 1],
  ])('predictMargins and predict reject NaN at row %i, feature %i', (row, feature) => {
    const x = rowsWithNaNAt(row, feature)
    expect(failure(() => predictMargins(model, x, 6))).toBe(nanMessage(row, feature))
    expect(failure(() => predict(model, x, 6))).toBe(nanMessage(row, feature))
  })

  it('predictRowMargins rejects NaN in its row only', () => {
    const x = rowsWithNaNAt(3, 4)
    const out = new Float32Array(1)
    expect(failure(() => predictRowMargins(model, x, 3 * nf, out))).toBe(nanMessage(3, 4))
    // Row 2 holds no NaN: it predicts as the same row with the NaN mapped away.
    const mapped = Float32Array.from(x, (v) => toXgbValue(v))
    const want = predictMargins(model, mapped, 6)[2]
    expect(predictRowMargins(model, x, 2 * nf, out)[0]).toBe(want)
  })

  it('mapping NaN with toXgbValue gives the missing-value prediction', () => {
    const x = Float32Array.from(rowsWithNaNAt(1, 2), (v) => toXgbValue(v))
    const missing = new Float32Array(6 * nf).fill(1)
    missing[nf + 2] = -1
    expect(Array.from(predictMargins(model, x, 6))).toEqual(
      Array.from(predictMargins(model, missing, 6)),
    )
  })

  it.each([1.5, -1, Number.NaN, 6 * nf - nf + 1])(
    'predictRowMargins rejects rowStart %d',
    (rowStart) => {
      const x = new Float32Array(6 * nf).fill(1)
      expect(failure(() => predictRowMargins(model, x, rowStart, new Float32Array(1)))).toMatch(
        /^VALIDATION: /,
      )
    },
  )
})
