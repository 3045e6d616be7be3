import type { TreeEnsemble } from '../xgboost/ensemble.js'

/**
 * The unique features on every root-to-node path, numbered by first occurrence from the root.
 * Because the numbering of a path is a prefix of its extensions', a bit per position can be
 * carried down a tree and means the same feature at every leaf below.
 */
export interface LeafPaths {
  /** Internal nodes: the position bit (1 << position) of the node's split feature. */
  readonly posBit: Int32Array
  /** Leaves: number of unique features on the root-to-leaf path (0 on internal nodes). */
  readonly unique: Int32Array
  /** Leaves: offset of the leaf's per-position entries in `feature` and `zero`. */
  readonly pathOffset: Int32Array
  /** Per leaf position: the feature index. */
  readonly feature: Int32Array
  /** Per leaf position: product of the cover fractions of the path's edges on this feature. */
  readonly zero: Float64Array
  /** Largest `unique` over all leaves. */
  readonly maxUnique: number
  /** Σ over leaves of unique × 2^unique: entries of the per-leaf (hot set, position) tables. */
  readonly tableEntries: number
}

/** Analyses every root-to-leaf path; `frac` from `coverFractions`. O(nodes × depth). */
export const analyseLeafPaths = (model: TreeEnsemble, frac: Float64Array): LeafPaths => {
  const n = model.left.length
  const parent = new Int32Array(n).fill(-1)
  for (let p = 0; p < n; p++) {
    const l = model.left[p] ?? -1
    if (l === -1) continue
    parent[l] = p
    parent[model.right[p] ?? 0] = p
  }
  let maxDepth = 0
  for (const d of model.treeDepth) maxDepth = Math.max(maxDepth, d)
  const posBit = new Int32Array(n)
  const unique = new Int32Array(n)
  const pathOffset = new Int32Array(n)
  const feats: number[] = []
  const zeros: number[] = []
  // Scratch: the edges root→node (features, fractions) and the unique features found so far.
  const edgeFeat = new Int32Array(maxDepth + 1)
  const edgeFrac = new Float64Array(maxDepth + 1)
  const uFeat = new Int32Array(maxDepth + 1)
  const uZero = new Float64Array(maxDepth + 1)
  let maxUnique = 0
  let tableEntries = 0
  for (let node = 0; node < n; node++) {
    let len = 0
    for (let c = node, p = parent[c] ?? -1; p !== -1; c = p, p = parent[p] ?? -1) {
      edgeFeat[len] = model.feature[p] ?? 0
      edgeFrac[len] = frac[c] ?? 0
      len++
    }
    let u = 0
    for (let e = len - 1; e >= 0; e--) {
      const f = edgeFeat[e] ?? 0
      let k = 0
      while (k < u && uFeat[k] !== f) k++
      if (k === u) {
        uFeat[u] = f
        uZero[u] = 1
        u++
      }
      uZero[k] = (uZero[k] ?? 0) * (edgeFrac[e] ?? 0)
    }
    if ((model.left[node] ?? -1) !== -1) {
      const f = model.feature[node] ?? 0
      let k = 0
      while (k < u && uFeat[k] !== f) k++
      posBit[node] = 1 << k
      continue
    }
    unique[node] = u
    pathOffset[node] = feats.length
    for (let k = 0; k < u; k++) {
      feats.push(uFeat[k] ?? 0)
      zeros.push(uZero[k] ?? 0)
    }
    maxUnique = Math.max(maxUnique, u)
    tableEntries += u * 2 ** u
  }
  return {
    posBit,
    unique,
    pathOffset,
    feature: Int32Array.from(feats),
    zero: Float64Array.from(zeros),
    maxUnique,
    tableEntries,
  }
}
