import { describe, expect, it } from 'vitest'
import { isAppError } from '../../core/errors.js'
import { createFastTreeShap } from './fast-tree-shap.js'
import { bruteForceShap } from './test-support/brute-force-shap.js'
import { maxAbsDiff, randomCase } from './test-support/random-case.js'
import { createTreeShap } from './tree-shap.js'

describe('createFastTreeShap (v2)', () => {
  it('equals Algorithm 2 within 1e-9 on random ensembles up to depth 10', () => {
    for (let seed = 1; seed <= 80; seed++) {
      const { model, rows, numRows } = randomCase(seed, {
        numGroup: seed % 4 === 0 ? 3 : 1,
        maxFeatures: 30,
        maxDepth: 10,
        numRows: 10,
      })
      const fast = createFastTreeShap(model).explainRows(rows, numRows)
      const exact = createTreeShap(model).explainRows(rows, numRows)
      expect(maxAbsDiff(fast, exact), `seed ${seed}`).toBeLessThan(1e-9)
    }
  })

  it('equals brute-force Shapley values (M ≤ 10, depth ≤ 6)', () => {
    for (let seed = 300; seed < 330; seed++) {
      const { model, rows, numRows } = randomCase(seed, { numGroup: seed % 3 === 0 ? 2 : 1 })
      const got = createFastTreeShap(model).explainRows(rows, numRows)
      const w = model.numGroup * (model.numFeature + 1)
      for (let r = 0; r < numRows; r++) {
        const want = bruteForceShap(model, rows, r * model.numFeature)
        expect(maxAbsDiff(got.subarray(r * w, (r + 1) * w), want), `seed ${seed}`).toBeLessThan(
          1e-9,
        )
      }
    }
  })

  it('stays finite and equal to Algorithm 2 when every cover is zero', () => {
    for (let seed = 400; seed < 410; seed++) {
      const { model, rows, numRows } = randomCase(seed, { maxDepth: 8, maxFeatures: 12 })
      const zeroed = { ...model, cover: new Float32Array(model.cover.length) }
      const fast = createFastTreeShap(zeroed).explainRows(rows, numRows)
      expect(fast.every(Number.isFinite)).toBe(true)
      expect(maxAbsDiff(fast, createTreeShap(zeroed).explainRows(rows, numRows))).toBeLessThan(1e-9)
    }
  })

  it('refuses tables above the byte bound, naming it', () => {
    const { model } = randomCase(5, { maxDepth: 6 })
    const explainer = createFastTreeShap(model)
    expect(explainer.tableBytes).toBeGreaterThan(0)
    const tooSmall = explainer.tableBytes - 1
    try {
      createFastTreeShap(model, tooSmall)
      expect.unreachable('expected UNSUPPORTED')
    } catch (e) {
      expect(isAppError(e) && e.code === 'UNSUPPORTED' && e.field === 'maxTableBytes').toBe(true)
    }
    expect(createFastTreeShap(model, explainer.tableBytes).tableBytes).toBe(explainer.tableBytes)
  })
})
