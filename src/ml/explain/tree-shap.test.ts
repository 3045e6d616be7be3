import { describe, expect, it } from 'vitest'
import { isAppError } from '../../core/errors.js'
import { buildEnsemble } from '../xgboost/test-support/ensemble-builder.js'
import { bruteForceShap, referenceMargins } from './test-support/brute-force-shap.js'
import { maxAbsDiff, randomCase } from './test-support/random-case.js'
import { createTreeShap } from './tree-shap.js'

describe('createTreeShap (Algorithm 2)', () => {
  it('gives a stump its hand-derived values', () => {
    const model = buildEnsemble(
      [
        {
          feature: 0,
          threshold: 1,
          defaultLeft: false,
          cover: 4,
          left: { leaf: 2, cover: 3 },
          right: { leaf: -6, cover: 1 },
        },
      ],
      { numFeature: 2, baseMargin: 0.5 },
    )
    const explainer = createTreeShap(model)
    const mean = (3 * 2 + 1 * -6) / 4
    const left = explainer.explainRow(Float32Array.of(0, 9))
    expect(Array.from(left)).toEqual([2 - mean, 0, 0.5 + mean])
    // A missing value follows defaultLeft (right here), as the predictor does.
    const missing = explainer.explainRow(Float32Array.of(-1, 9))
    expect(missing[0]).toBeCloseTo(-6 - mean, 12)
  })

  it('equals brute-force Shapley values on random ensembles (missing, repeats, depth ≤ 6)', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const { model, rows, numRows } = randomCase(seed, { numGroup: seed % 3 === 0 ? 3 : 1 })
      const explainer = createTreeShap(model)
      const got = explainer.explainRows(rows, numRows)
      for (let r = 0; r < numRows; r++) {
        const want = bruteForceShap(model, rows, r * model.numFeature)
        const row = got.subarray(r * explainer.rowWidth, (r + 1) * explainer.rowWidth)
        expect(maxAbsDiff(row, want), `seed ${seed} row ${r}`).toBeLessThan(1e-9)
      }
    }
  })

  it('is additive: contributions plus bias equal the float64 margin', () => {
    for (let seed = 100; seed < 130; seed++) {
      const { model, rows, numRows } = randomCase(seed, { numGroup: seed % 2 === 0 ? 3 : 1 })
      const explainer = createTreeShap(model)
      const got = explainer.explainRows(rows, numRows)
      const w = model.numFeature + 1
      for (let r = 0; r < numRows; r++) {
        const margins = referenceMargins(model, rows, r * model.numFeature)
        for (let g = 0; g < model.numGroup; g++) {
          let sum = 0
          for (let i = 0; i < w; i++) sum += got[r * explainer.rowWidth + g * w + i] ?? 0
          expect(Math.abs(sum - (margins[g] ?? 0))).toBeLessThan(1e-9)
        }
      }
    }
  })

  it('stays finite and additive when every cover is zero', () => {
    for (let seed = 200; seed < 210; seed++) {
      const { model, rows, numRows } = randomCase(seed)
      const zeroed = { ...model, cover: new Float32Array(model.cover.length) }
      const got = createTreeShap(zeroed).explainRows(rows, numRows)
      expect(got.every(Number.isFinite)).toBe(true)
      for (let r = 0; r < numRows; r++) {
        const want = bruteForceShap(zeroed, rows, r * model.numFeature)
        const row = got.subarray(r * want.length, (r + 1) * want.length)
        expect(maxAbsDiff(row, want)).toBeLessThan(1e-9)
        const sum = row.reduce((a, b) => a + b, 0)
        expect(
          Math.abs(sum - (referenceMargins(zeroed, rows, r * model.numFeature)[0] ?? 0)),
        ).toBeLessThan(1e-9)
      }
    }
  })

  it('rejects rows of the wrong width and models that split outside the row', () => {
    const { model } = randomCase(7)
    const explainer = createTreeShap(model)
    const bad = () => explainer.explainRows(new Float32Array(model.numFeature + 1), 1)
    expect(bad).toThrowError(/features/)
    try {
      bad()
    } catch (e) {
      expect(isAppError(e) && e.code === 'VALIDATION').toBe(true)
    }
    const corrupt = buildEnsemble(
      [
        {
          feature: 5,
          threshold: 0,
          defaultLeft: true,
          cover: 2,
          left: { leaf: 1, cover: 1 },
          right: { leaf: 0, cover: 1 },
        },
      ],
      { numFeature: 3 },
    )
    expect(() => createTreeShap(corrupt)).toThrowError(/feature 5 of 3/)
    const badGroup = buildEnsemble([{ leaf: 1, cover: 1 }], { numFeature: 1, treeGroup: [2] })
    expect(() => createTreeShap(badGroup)).toThrowError(/group 2/)
    const negativeCover = buildEnsemble([{ leaf: 1, cover: -1 }], { numFeature: 1 })
    expect(() => createTreeShap(negativeCover)).toThrowError(/cover -1/)
  })
})
