import { describe, expect, it } from 'vitest'
import { predictMargins } from '../xgboost/predict.js'
import { createExplainer } from './explainer.js'
import { referenceMargins } from './test-support/brute-force-shap.js'
import { maxAbsDiff, randomCase } from './test-support/random-case.js'
import { createTreeShap } from './tree-shap.js'

describe('createExplainer', () => {
  const { model, rows, numRows } = randomCase(11, { maxDepth: 6, maxFeatures: 12 })

  it('picks Fast TreeSHAP v2 when its tables fit, Algorithm 2 when they do not', () => {
    const fast = createExplainer(model)
    expect(fast.algorithm).toBe('fast-tree-shap-v2')
    const slow = createExplainer(model, { maxTableBytes: fast.tableBytes - 1 })
    expect(slow.algorithm).toBe('tree-shap')
    expect(slow.tableBytes).toBe(0)
    expect(
      maxAbsDiff(fast.explainRows(rows, numRows), slow.explainRows(rows, numRows)),
    ).toBeLessThan(1e-9)
  })

  it('honours a forced algorithm and rejects a negative bound', () => {
    expect(createExplainer(model, { algorithm: 'tree-shap' }).algorithm).toBe('tree-shap')
    expect(() =>
      createExplainer(model, { algorithm: 'fast-tree-shap-v2', maxTableBytes: 0 }),
    ).toThrow(/table bytes/)
    expect(() => createExplainer(model, { maxTableBytes: -1 })).toThrow(/maxTableBytes/)
  })

  it('writes into a caller buffer, overwriting what was there', () => {
    const explainer = createExplainer(model)
    const out = new Float64Array(numRows * explainer.rowWidth).fill(7)
    explainer.explainRows(rows, numRows, out)
    expect(maxAbsDiff(out, createTreeShap(model).explainRows(rows, numRows))).toBeLessThan(1e-9)
  })

  it('is additive against the predictor: float64 reference within 1e-9, float32 margin within 1e-5', () => {
    for (let seed = 500; seed < 540; seed++) {
      const c = randomCase(seed, { numGroup: seed % 2 === 0 ? 3 : 1, maxDepth: 8, maxFeatures: 20 })
      const { numFeature, numGroup } = c.model
      const margins32 = predictMargins(c.model, c.rows, c.numRows)
      for (const algorithm of ['tree-shap', 'fast-tree-shap-v2'] as const) {
        const explainer = createExplainer(c.model, { algorithm })
        const phi = explainer.explainRows(c.rows, c.numRows)
        for (let r = 0; r < c.numRows; r++) {
          const margins64 = referenceMargins(c.model, c.rows, r * numFeature)
          for (let g = 0; g < numGroup; g++) {
            const at = r * explainer.rowWidth + g * (numFeature + 1)
            let sum = 0
            for (let i = 0; i <= numFeature; i++) sum += phi[at + i] ?? 0
            expect(Math.abs(sum - (margins64[g] ?? 0))).toBeLessThan(1e-9)
            expect(Math.abs(sum - (margins32[r * numGroup + g] ?? 0))).toBeLessThan(1e-5)
          }
        }
      }
    }
  })
})
