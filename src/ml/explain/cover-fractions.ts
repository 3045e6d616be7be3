import { AppError } from '../../core/errors.js'
import type { TreeEnsemble } from '../xgboost/ensemble.js'

/**
 * Share of its parent's cover that reaches each node (the "zero fraction" of TreeSHAP: the
 * probability of taking this branch when the split feature is unknown). Roots get 1.
 *
 * Zero cover: XGBoost divides 0 by 0 here and emits NaN. We define a parent with zero cover
 * to split evenly (each child 0.5), so the fractions stay finite and the bias and the SHAP
 * values, which both use these same fractions, stay additive. A zero-cover child of a
 * positive-cover parent gets 0, which is exact.
 */
export const coverFractions = (model: TreeEnsemble): Float64Array => {
  const { left, right, cover } = model
  const n = left.length
  const frac = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const c = cover[i] ?? 0
    if (!(c >= 0) || c === Number.POSITIVE_INFINITY) {
      throw new AppError('CORRUPT_MODEL', `node ${i} has cover ${c}, expected a finite value ≥ 0`, {
        field: 'cover',
      })
    }
  }
  for (let t = 0; t < model.numTrees; t++) frac[model.treeOffset[t] ?? 0] = 1
  for (let p = 0; p < n; p++) {
    const l = left[p] ?? -1
    if (l === -1) continue
    const r = right[p] ?? -1
    const c = cover[p] ?? 0
    frac[l] = c > 0 ? (cover[l] ?? 0) / c : 0.5
    frac[r] = c > 0 ? (cover[r] ?? 0) / c : 0.5
  }
  return frac
}

/**
 * Expected margin per output group when no feature is known: the base margin plus, for each
 * tree, its leaves weighted by the product of cover fractions on their paths. This is the bias
 * column of the SHAP output and uses the same fractions as the SHAP kernels.
 */
export const expectedMargins = (model: TreeEnsemble, frac: Float64Array): Float64Array => {
  const out = new Float64Array(model.numGroup).fill(model.baseMargin)
  const reach = new Float64Array(frac.length)
  for (let t = 0; t < model.numTrees; t++) {
    const start = model.treeOffset[t] ?? 0
    const end = model.treeOffset[t + 1] ?? 0
    reach[start] = 1
    let sum = 0
    // Pre-order: a parent is visited before its children, so its reach is final.
    for (let n = start; n < end; n++) {
      const l = model.left[n] ?? -1
      const p = reach[n] ?? 0
      if (l === -1) {
        sum += p * (model.leafValue[n] ?? 0)
        continue
      }
      const r = model.right[n] ?? -1
      reach[l] = p * (frac[l] ?? 0)
      reach[r] = p * (frac[r] ?? 0)
    }
    const g = model.treeGroup[t] ?? 0
    out[g] = (out[g] ?? 0) + sum
  }
  return out
}
