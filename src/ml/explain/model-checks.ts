import { AppError } from '../../core/errors.js'
import type { TreeEnsemble } from '../xgboost/ensemble.js'
import { checkTreeDepth } from '../xgboost/tree-depth-limit.js'

const corrupt = (message: string, field: string): never => {
  throw new AppError('CORRUPT_MODEL', message, { field })
}

/**
 * Checks the invariants the SHAP kernels rely on, once, so the kernels can index without
 * bounds checks: feature indices inside the row, groups inside the output, children after
 * their parent inside the same tree, and each tree's depth as `treeDepth` states it (tables are
 * sized by it) and at most `MAX_TREE_DEPTH` (Algorithm 2's tables grow with depth² and its walk
 * recurses per level, so a deep hostile tree would exhaust memory or the stack).
 */
export const checkExplainable = (model: TreeEnsemble): void => {
  const { left, right, feature, treeOffset, treeGroup, treeDepth } = model
  // Depth of each node, filled parent-first: children are checked to come after their parent.
  const depth = new Int32Array(left.length)
  for (let t = 0; t < model.numTrees; t++) {
    const g = treeGroup[t] ?? -1
    if (g < 0 || g >= model.numGroup) {
      corrupt(`tree ${t} has group ${g}, expected 0..${model.numGroup - 1}`, 'treeGroup')
    }
    const start = treeOffset[t] ?? 0
    const end = treeOffset[t + 1] ?? 0
    let deepest = 0
    for (let n = start; n < end; n++) {
      const d = depth[n] as number
      if (d > deepest) deepest = d
      const l = left[n] ?? -1
      if (l === -1) continue
      const r = right[n] ?? -1
      if (l <= n || r <= n || l >= end || r >= end) {
        corrupt(`node ${n} has children ${l}/${r} outside its tree`, 'left')
      }
      const f = feature[n] ?? -1
      if (f < 0 || f >= model.numFeature) {
        corrupt(`node ${n} splits on feature ${f} of ${model.numFeature}`, 'feature')
      }
      depth[l] = d + 1
      depth[r] = d + 1
    }
    checkTreeDepth(`tree ${t}`, deepest, 'treeDepth')
    if (treeDepth[t] !== deepest) {
      corrupt(`tree ${t} has depth ${deepest}, treeDepth says ${treeDepth[t]}`, 'treeDepth')
    }
  }
}
