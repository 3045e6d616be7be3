import { AppError } from '../../core/errors.js'
import type { TreeEnsemble } from '../xgboost/ensemble.js'
import { MISSING } from '../xgboost/missing.js'
import { coverFractions, expectedMargins } from './cover-fractions.js'
import { buildFastTreeShapLayout, fastTreeShapLayoutBytes } from './fast-tree-shap-layout.js'
import { analyseLeafPaths } from './leaf-paths.js'
import { checkExplainable } from './model-checks.js'
import { makeExplainer, type ShapExplainer } from './shap-explainer.js'

/** Most unique features on a path Fast TreeSHAP v2 accepts: its tables grow as 2^that. */
export const FAST_TREE_SHAP_MAX_UNIQUE = 16

/**
 * Fast TreeSHAP v2 (Yang, "Fast TreeSHAP: Accelerating SHAP Value Computation for Trees",
 * arXiv 2109.09847): move the subset-dependent work of Algorithm 2 into per-leaf tables built
 * once per model, so a row costs O(leaves × depth) instead of O(leaves × depth²).
 *
 * For a leaf with value v and unique path features U (|U| = d), zero fractions z_j and, for a
 * row, hot set H = {j : the row follows every edge on feature j}, the Shapley value of j is
 *   hot j:   v (1 − z_j) Π_{k∉H} z_k · G(H \ {j})
 *   cold j: −v          Π_{k∉H} z_k · G(H)
 * with G(K) = Σ_{S⊆K} |S|!(d−|S|−1)!/d! · Π_{k∈K\S} z_k (the Shapley weights of the subsets S
 * of hot features, the others taking their cover share). For every H ⊆ U the table holds all
 * d contributions (d·2^d float64 per leaf), so a row only finds H and adds d numbers per leaf:
 * it walks each tree's splits once in pre-order, carrying H as a bit mask per node (bits
 * numbered by first occurrence from the root, see `analyseLeafPaths`), then visits each leaf.
 * Equal to Algorithm 2 up to float64 rounding; zero covers follow the same rule.
 *
 * @param maxTableBytes refuse (UNSUPPORTED) when the tables would exceed this many bytes.
 */
export const createFastTreeShap = (
  model: TreeEnsemble,
  maxTableBytes = Infinity,
): ShapExplainer => {
  checkExplainable(model)
  const frac = coverFractions(model)
  const paths = analyseLeafPaths(model, frac)
  const tableBytes = fastTreeShapLayoutBytes(paths)
  if (paths.maxUnique > FAST_TREE_SHAP_MAX_UNIQUE || tableBytes > maxTableBytes) {
    throw new AppError(
      'UNSUPPORTED',
      `Fast TreeSHAP v2 needs ${tableBytes} table bytes for paths of ${paths.maxUnique} features (limit ${maxTableBytes} bytes, ${FAST_TREE_SHAP_MAX_UNIQUE} features)`,
      { field: 'maxTableBytes' },
    )
  }
  const layout = buildFastTreeShapLayout(model, paths)
  const { splitStart, leafStart, splitFeature, splitThreshold, splitDefaultLeft, splitBit } = layout
  const { splitSlot, leftSlot, rightSlot, leafSlot, leafUnique, leafTable, leafPath } = layout
  const { pathFeature, table } = layout
  const { treeGroup, numTrees } = model
  const mask = new Int32Array(layout.maxSlots)
  const numFeature = model.numFeature
  const groupWidth = numFeature + 1

  const rowWidth = model.numGroup * groupWidth

  /** One tree, one row: find the hot set of every leaf, then add its row of the table. */
  const explainTree = (
    t: number,
    x: Float32Array,
    xOff: number,
    phi: Float64Array,
    phiOff: number,
  ): void => {
    mask[0] = -1
    const splitEnd = splitStart[t + 1] as number
    for (let s = splitStart[t] as number; s < splitEnd; s++) {
      const m = mask[splitSlot[s] as number] as number
      const xv = x[xOff + (splitFeature[s] as number)] as number
      // go = 1 when the row goes left (branch-free: the direction is unpredictable); the bit of
      // the branch not taken is cleared.
      const lt = +(xv < (splitThreshold[s] as number))
      const go = lt ^ (+(xv === MISSING) & (lt ^ (splitDefaultLeft[s] as number)))
      const bit = splitBit[s] as number
      mask[leftSlot[s] as number] = m & ~(bit & (go - 1))
      mask[rightSlot[s] as number] = m & ~(bit & -go)
    }
    const leafEnd = leafStart[t + 1] as number
    for (let k = leafStart[t] as number; k < leafEnd; k++) {
      const d = leafUnique[k] as number
      const hot = (mask[leafSlot[k] as number] as number) & ((1 << d) - 1)
      const base = (leafTable[k] as number) + hot * d
      const po = leafPath[k] as number
      for (let p = 0; p < d; p++) {
        const at = phiOff + (pathFeature[po + p] as number)
        phi[at] = (phi[at] as number) + (table[base + p] as number)
      }
    }
  }

  // Trees outermost: one tree's table stays in cache while every row of the batch uses it.
  const kernel = (x: Float32Array, rowStart: number, rowEnd: number, phi: Float64Array): void => {
    for (let t = 0; t < numTrees; t++) {
      const groupOff = (treeGroup[t] as number) * groupWidth
      for (let r = rowStart; r < rowEnd; r++)
        explainTree(t, x, r * numFeature, phi, r * rowWidth + groupOff)
    }
  }

  return makeExplainer({
    algorithm: 'fast-tree-shap-v2',
    numFeature,
    numGroup: model.numGroup,
    expectedValue: expectedMargins(model, frac),
    tableBytes,
    kernel,
  })
}
