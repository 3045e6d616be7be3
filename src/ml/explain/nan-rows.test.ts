import { describe, expect, it } from 'vitest'
import { appErrorOf } from '../../../test/support/app-error.js'
import { toXgbValue } from '../xgboost/missing.js'
import { createExplainer } from './explainer.js'
import { randomCase } from './test-support/random-case.js'

const failure = appErrorOf

describe('explainRows with NaN cells', () => {
  const { model, rows, numRows } = randomCase(7, { maxDepth: 5, maxFeatures: 6 })
  const nf = model.numFeature

  it.each(['tree-shap', 'fast-tree-shap-v2'] as const)(
    '%s: rejects a NaN naming row and feature; the mapped row explains as missing',
    (algorithm) => {
      const explainer = createExplainer(model, { algorithm })
      const x = rows.slice()
      const row = numRows - 1
      x[row * nf + nf - 1] = Number.NaN
      expect(failure(() => explainer.explainRows(x, numRows))).toBe(
        `VALIDATION: row ${row}, feature ${nf - 1} is NaN: map inputs with toXgbValue (missing = -1)`,
      )
      expect(failure(() => explainer.explainRow(x.subarray(row * nf)))).toMatch(
        new RegExp(`^VALIDATION: row 0, feature ${nf - 1} is NaN`),
      )
      // (rows already hold mapped values, -1 = missing: map the NaN cell alone)
      const mapped = x.slice()
      mapped[row * nf + nf - 1] = toXgbValue(x[row * nf + nf - 1])
      const missing = rows.slice()
      missing[row * nf + nf - 1] = -1
      expect(explainer.explainRows(mapped, numRows)).toEqual(
        explainer.explainRows(missing, numRows),
      )
    },
  )
})
