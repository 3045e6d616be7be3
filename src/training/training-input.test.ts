import { describe, expect, it } from 'vitest'
import { BELOW_MINUS_ONE, MISSING } from '../ml/xgboost/missing.js'
import { trainingMatrixFromRows, validateTrainingMatrix } from './training-input.js'
import { parseXgboostParams } from './xgboost-params.js'

const binary = parseXgboostParams({})
const multi = parseXgboostParams({ objective: 'multi:softprob', num_class: 3 })
const regression = parseXgboostParams({ objective: 'reg:linear' })

describe('trainingMatrixFromRows', () => {
  it('maps missing to -1 and a real -1 just below it', () => {
    const t = trainingMatrixFromRows(
      [
        [null, -1, 2],
        [Number.NaN, 0.5, undefined],
      ],
      [0, 1],
      3,
    )
    expect(Array.from(t.matrix)).toEqual([MISSING, BELOW_MINUS_ONE, 2, MISSING, 0.5, MISSING])
    expect(t).toMatchObject({ rows: 2, cols: 3 })
  })
})

describe('validateTrainingMatrix', () => {
  const ok = trainingMatrixFromRows(
    [
      [1, 2],
      [3, 4],
      [5, 6],
    ],
    [0, 1, 0],
    2,
  )

  it('accepts a well-formed set', () => {
    expect(() => validateTrainingMatrix(ok, binary)).not.toThrow()
  })

  const cases: Array<[string, Parameters<typeof validateTrainingMatrix>, string, RegExp]> = [
    [
      'NaN cell',
      [{ ...ok, matrix: Float32Array.from([1, 2, 3, Number.NaN, 5, 6]) }, binary],
      'matrix',
      /row 1, column 1 is NaN/,
    ],
    [
      'infinite cell',
      [{ ...ok, matrix: Float32Array.from([1, 2, 3, 4, Number.POSITIVE_INFINITY, 6]) }, binary],
      'matrix',
      /infinite/,
    ],
    [
      'short matrix',
      [{ ...ok, matrix: new Float32Array(5) }, binary],
      'matrix',
      /expected rows × cols = 6/,
    ],
    ['label count', [{ ...ok, labels: new Float32Array(2) }, binary], 'labels', /expected 3/],
    [
      'zero rows',
      [{ ...ok, rows: 0, matrix: new Float32Array(0), labels: new Float32Array(0) }, binary],
      'rows',
      /positive/,
    ],
    [
      'binary label 2',
      [{ ...ok, labels: Float32Array.from([0, 2, 1]) }, binary],
      'labels',
      /row 1 is 2: binary:logistic needs 0 or 1/,
    ],
    [
      'NaN label',
      [{ ...ok, labels: Float32Array.from([0, 1, Number.NaN]) }, regression],
      'labels',
      /row 2 is NaN: labels must be finite/,
    ],
    [
      'class out of range',
      [{ ...ok, labels: Float32Array.from([0, 3, 1]) }, multi],
      'labels',
      /integer in 0\.\.2/,
    ],
    [
      'fractional class',
      [{ ...ok, labels: Float32Array.from([0, 1.5, 1]) }, multi],
      'labels',
      /integer in 0\.\.2/,
    ],
  ]
  it.each(cases)('refuses a %s', (_, args, field, message) => {
    expect(() => validateTrainingMatrix(...args)).toThrow(message)
    expect(() => validateTrainingMatrix(...args)).toThrow(
      expect.objectContaining({ code: 'VALIDATION', field }),
    )
  })

  it('accepts any finite label for reg:linear', () => {
    const t = { ...ok, labels: Float32Array.from([-3.5, 0, 1e6]) }
    expect(() => validateTrainingMatrix(t, regression)).not.toThrow()
  })
})
