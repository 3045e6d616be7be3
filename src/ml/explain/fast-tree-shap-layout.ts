import type { TreeEnsemble } from '../xgboost/ensemble.js'
import type { LeafPaths } from './leaf-paths.js'

/**
 * Everything Fast TreeSHAP v2 reads per row, split by role so the row kernel runs two tight,
 * branch-light loops per tree: one over splits (pre-order, so a node's mask is set before it is
 * read), one over leaves. Slots are node indices local to the tree; they index the mask scratch.
 */
export interface FastTreeShapLayout {
  /** Per tree: first split and first leaf (length numTrees + 1 each). */
  readonly splitStart: Int32Array
  readonly leafStart: Int32Array
  /** Per split. */
  readonly splitFeature: Int32Array
  readonly splitThreshold: Float64Array
  readonly splitDefaultLeft: Int32Array
  readonly splitBit: Int32Array
  readonly splitSlot: Int32Array
  readonly leftSlot: Int32Array
  readonly rightSlot: Int32Array
  /** Per leaf with at least one feature on its path. */
  readonly leafSlot: Int32Array
  readonly leafUnique: Int32Array
  readonly leafTable: Int32Array
  readonly leafPath: Int32Array
  /** Per leaf position: the feature. */
  readonly pathFeature: Int32Array
  /** Per leaf, hot set H and position p < d: p's contribution, at leafTable + H·d + p. */
  readonly table: Float64Array
  /** Largest tree, in nodes: the mask scratch size. */
  readonly maxSlots: number
}

/** Bytes a layout for these paths takes (computable before building it). */
export const fastTreeShapLayoutBytes = (paths: LeafPaths): number =>
  paths.tableEntries * 8 + paths.unique.length * 4 * 8 + paths.feature.length * 4

/**
 * Shapley weights w(k, d) = k!(d-k-1)!/d! for d ≤ maxD, k < d, at `d * (maxD + 1) + k`;
 * built by w(0, d) = 1/d and w(k, d) = w(k-1, d) · k / (d - k).
 */
const shapleyWeights = (maxD: number): Float64Array => {
  const w = new Float64Array((maxD + 1) * (maxD + 1))
  for (let d = 1; d <= maxD; d++) {
    let v = 1 / d
    w[d * (maxD + 1)] = v
    for (let k = 1; k < d; k++) {
      v = (v * k) / (d - k)
      w[d * (maxD + 1) + k] = v
    }
  }
  return w
}

const popcount = (v: number): number => {
  let c = 0
  for (let b = v; b !== 0; b &= b - 1) c++
  return c
}

/**
 * Fills the table of one leaf with value v and d unique path features: for every hot set H and
 * position p, p's contribution (see `createFastTreeShap`). It needs, for every K ⊆ {0..d-1},
 * G(K) = Σ_k w(k, d)·c_K[k], where c_K[k] = Σ_{S⊆K, |S|=k} Π_{j∈K\S} z_j are the coefficients
 * of Π_{j∈K}(t + z_j), built by adding K's lowest feature to K minus it.
 */
const fillLeafTable = (
  out: Float64Array,
  at: number,
  v: number,
  zero: Float64Array,
  po: number,
  d: number,
  scratch: { weights: Float64Array; coef: Float64Array; g: Float64Array; stride: number },
): void => {
  const { weights, coef, g, stride } = scratch
  const wRow = d * stride
  coef[0] = 1
  g[0] = v * (weights[wRow] ?? 0)
  for (let K = 1; K < 1 << d; K++) {
    const low = 31 - Math.clz32(K & -K)
    const rest = K & (K - 1)
    const z = zero[po + low] ?? 0
    const size = popcount(K)
    let sum = 0
    for (let k = 0; k <= size; k++) {
      const c =
        (k < size ? (coef[rest * stride + k] ?? 0) * z : 0) +
        (k > 0 ? (coef[rest * stride + k - 1] ?? 0) : 0)
      coef[K * stride + k] = c
      if (k < d) sum += (weights[wRow + k] ?? 0) * c
    }
    g[K] = v * sum
  }
  for (let H = 0; H < 1 << d; H++) {
    // Π of the zero fractions outside H, in position order (no division by z).
    let coldZero = 1
    for (let p = 0; p < d; p++) if (((H >> p) & 1) === 0) coldZero *= zero[po + p] ?? 0
    const coldValue = -coldZero * (g[H] ?? 0)
    for (let p = 0; p < d; p++) {
      const bit = 1 << p
      out[at + H * d + p] =
        (H & bit) === 0 ? coldValue : (1 - (zero[po + p] ?? 0)) * coldZero * (g[H ^ bit] ?? 0)
    }
  }
}

/** Builds the v2 layout; `paths` from `analyseLeafPaths` on the same model. */
export const buildFastTreeShapLayout = (
  model: TreeEnsemble,
  paths: LeafPaths,
): FastTreeShapLayout => {
  const n = model.left.length
  let splits = 0
  let leaves = 0
  for (let i = 0; i < n; i++) {
    if ((model.left[i] ?? -1) !== -1) splits++
    else if ((paths.unique[i] ?? 0) > 0) leaves++
  }
  const splitStart = new Int32Array(model.numTrees + 1)
  const leafStart = new Int32Array(model.numTrees + 1)
  const splitFeature = new Int32Array(splits)
  const splitThreshold = new Float64Array(splits)
  const splitDefaultLeft = new Int32Array(splits)
  const splitBit = new Int32Array(splits)
  const splitSlot = new Int32Array(splits)
  const leftSlot = new Int32Array(splits)
  const rightSlot = new Int32Array(splits)
  const leafSlot = new Int32Array(leaves)
  const leafUnique = new Int32Array(leaves)
  const leafTable = new Int32Array(leaves)
  const leafPath = new Int32Array(leaves)
  const table = new Float64Array(paths.tableEntries)
  const maxD = paths.maxUnique
  const stride = maxD + 1
  const scratch = {
    weights: shapleyWeights(maxD),
    coef: new Float64Array((1 << maxD) * stride),
    g: new Float64Array(1 << maxD),
    stride,
  }
  let s = 0
  let l = 0
  let tableAt = 0
  let maxSlots = 1
  for (let t = 0; t < model.numTrees; t++) {
    const start = model.treeOffset[t] ?? 0
    const end = model.treeOffset[t + 1] ?? 0
    maxSlots = Math.max(maxSlots, end - start)
    splitStart[t] = s
    leafStart[t] = l
    for (let i = start; i < end; i++) {
      const left = model.left[i] ?? -1
      if (left !== -1) {
        splitFeature[s] = model.feature[i] ?? 0
        splitThreshold[s] = model.threshold[i] ?? 0
        splitDefaultLeft[s] = model.defaultLeft[i] ?? 0
        splitBit[s] = paths.posBit[i] ?? 0
        splitSlot[s] = i - start
        leftSlot[s] = left - start
        rightSlot[s] = (model.right[i] ?? 0) - start
        s++
        continue
      }
      const d = paths.unique[i] ?? 0
      if (d === 0) continue // a lone root leaf: only in the bias
      const po = paths.pathOffset[i] ?? 0
      leafSlot[l] = i - start
      leafUnique[l] = d
      leafTable[l] = tableAt
      leafPath[l] = po
      fillLeafTable(table, tableAt, model.leafValue[i] ?? 0, paths.zero, po, d, scratch)
      tableAt += d << d
      l++
    }
  }
  splitStart[model.numTrees] = s
  leafStart[model.numTrees] = l
  return {
    splitStart,
    leafStart,
    splitFeature,
    splitThreshold,
    splitDefaultLeft,
    splitBit,
    splitSlot,
    leftSlot,
    rightSlot,
    leafSlot,
    leafUnique,
    leafTable,
    leafPath,
    pathFeature: paths.feature,
    table,
    maxSlots,
  }
}
