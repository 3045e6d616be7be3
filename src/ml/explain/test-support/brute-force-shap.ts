import type { TreeEnsemble } from '../../xgboost/ensemble.js'

/**
 * Test oracles written straight from the definitions, slow on purpose: a float64 margin by
 * plain traversal, and Shapley values by enumerating every feature subset.
 */

const goesLeft = (m: TreeEnsemble, n: number, x: Float32Array, off: number): boolean => {
  const v = x[off + (m.feature[n] ?? 0)] ?? 0
  return v === -1 ? m.defaultLeft[n] === 1 : v < (m.threshold[n] ?? 0)
}

/** Margin per group, summed in float64, by following each tree to its leaf. */
export const referenceMargins = (m: TreeEnsemble, x: Float32Array, off = 0): Float64Array => {
  const out = new Float64Array(m.numGroup).fill(m.baseMargin)
  for (let t = 0; t < m.numTrees; t++) {
    let n = m.treeOffset[t] ?? 0
    while ((m.left[n] ?? -1) !== -1) n = (goesLeft(m, n, x, off) ? m.left[n] : m.right[n]) ?? -1
    const g = m.treeGroup[t] ?? 0
    out[g] = (out[g] ?? 0) + (m.leafValue[n] ?? 0)
  }
  return out
}

/** Share of the parent's cover: the documented rule, 0/0 splits evenly. */
const share = (m: TreeEnsemble, child: number, parent: number): number => {
  const c = m.cover[parent] ?? 0
  return c > 0 ? (m.cover[child] ?? 0) / c : 0.5
}

/**
 * Path-dependent conditional expectation of one tree given that the features in `known` are
 * known: a split on a known feature follows the row (missing → defaultLeft), any other split
 * averages its children by cover.
 */
const treeExpectation = (
  m: TreeEnsemble,
  n: number,
  x: Float32Array,
  off: number,
  known: number,
): number => {
  const l = m.left[n] ?? -1
  if (l === -1) return m.leafValue[n] ?? 0
  const r = m.right[n] ?? -1
  const f = m.feature[n] ?? 0
  if ((known >> f) & 1) return treeExpectation(m, goesLeft(m, n, x, off) ? l : r, x, off, known)
  return (
    share(m, l, n) * treeExpectation(m, l, x, off, known) +
    share(m, r, n) * treeExpectation(m, r, x, off, known)
  )
}

/**
 * Exact Shapley values by enumerating all 2^M subsets (M ≤ ~12), weight |S|!(M-|S|-1)!/M!.
 * Same layout as `ShapExplainer`: per group, M contributions then the bias v(∅).
 */
export const bruteForceShap = (m: TreeEnsemble, x: Float32Array, off = 0): Float64Array => {
  const M = m.numFeature
  const width = M + 1
  const out = new Float64Array(m.numGroup * width)
  const fact = [1]
  for (let i = 1; i <= M; i++) fact.push((fact[i - 1] ?? 1) * i)
  const weight = (s: number): number => ((fact[s] ?? 0) * (fact[M - s - 1] ?? 0)) / (fact[M] ?? 1)
  const popcount = (v: number): number => {
    let c = 0
    for (let b = v; b !== 0; b &= b - 1) c++
    return c
  }
  for (let g = 0; g < m.numGroup; g++) {
    const value = new Float64Array(1 << M)
    for (let s = 0; s < 1 << M; s++) {
      let sum = m.baseMargin
      for (let t = 0; t < m.numTrees; t++) {
        if (m.treeGroup[t] !== g) continue
        sum += treeExpectation(m, m.treeOffset[t] ?? 0, x, off, s)
      }
      value[s] = sum
    }
    for (let i = 0; i < M; i++) {
      let phi = 0
      for (let s = 0; s < 1 << M; s++) {
        if ((s >> i) & 1) continue
        phi += weight(popcount(s)) * ((value[s | (1 << i)] ?? 0) - (value[s] ?? 0))
      }
      out[g * width + i] = phi
    }
    out[g * width + M] = value[0] ?? 0
  }
  return out
}
