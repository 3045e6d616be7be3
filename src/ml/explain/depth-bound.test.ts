import { describe, expect, it } from 'vitest'
import { appErrorOf } from '../../../test/support/app-error.js'
import { predictMargins } from '../xgboost/predict.js'
import { chainEnsemble } from '../xgboost/test-support/legacy-model-writer.js'
import { MAX_TREE_DEPTH } from '../xgboost/tree-depth-limit.js'
import { createExplainer } from './explainer.js'
import { createFastTreeShap } from './fast-tree-shap.js'
import { createTreeShap } from './tree-shap.js'

const codeOf = appErrorOf

describe('explainers and tree depth', () => {
  it('explain a chain at the depth bound, additively', () => {
    const m = chainEnsemble(MAX_TREE_DEPTH)
    const rows = Float32Array.from({ length: 3 * 3 }, (_, i) => (i * 5) % 8)
    const margins = predictMargins(m, rows, 3)
    const phi = createTreeShap(m).explainRows(rows, 3)
    for (let r = 0; r < 3; r++) {
      const sum = phi.subarray(r * 4, r * 4 + 4).reduce((a, b) => a + b, 0)
      expect(Math.abs(sum - (margins[r] as number))).toBeLessThan(1e-6)
    }
  })

  it.each([MAX_TREE_DEPTH + 1, 5_000])(
    'refuse a chain of depth %i with UNSUPPORTED before allocating tables',
    (depth) => {
      const m = chainEnsemble(depth)
      const want = `UNSUPPORTED: tree 0 has depth ${depth}; at most ${MAX_TREE_DEPTH} is supported`
      expect(codeOf(() => createExplainer(m))).toBe(want)
      expect(codeOf(() => createTreeShap(m))).toBe(want)
      expect(codeOf(() => createFastTreeShap(m))).toBe(want)
    },
  )

  it('refuse an ensemble whose treeDepth understates the real depth', () => {
    const m = { ...chainEnsemble(10), treeDepth: Int32Array.of(4) }
    expect(codeOf(() => createTreeShap(m))).toBe(
      'CORRUPT_MODEL: tree 0 has depth 10, treeDepth says 4',
    )
  })
})
