import { AppError } from '../../core/errors.js'
import type { TreeEnsemble } from '../xgboost/ensemble.js'

/**
 * Checks the invariants the SHAP kernels rely on, once, so the kernels can index without
 * bounds checks: feature indices inside the row, groups inside the output, children after
 * their parent inside the same tree.
 */
export const checkExplainable = (model: TreeEnsemble): void => {
  const { left, right, feature, treeOffset, treeGroup } = model
  for (let t = 0; t < model.numTrees; t++) {
    const g = treeGroup[t] ?? -1
    if (g < 0 || g >= model.numGroup) {
      throw new AppError(
        'CORRUPT_MODEL',
        `tree ${t} has group ${g}, expected 0..${model.numGroup - 1}`,
        {
          field: 'treeGroup',
        },
      )
    }
    const start = treeOffset[t] ?? 0
    const end = treeOffset[t + 1] ?? 0
    for (let n = start; n < end; n++) {
      const l = left[n] ?? -1
      if (l === -1) continue
      const r = right[n] ?? -1
      if (l <= n || r <= n || l >= end || r >= end) {
        throw new AppError('CORRUPT_MODEL', `node ${n} has children ${l}/${r} outside its tree`, {
          field: 'left',
        })
      }
      const f = feature[n] ?? -1
      if (f < 0 || f >= model.numFeature) {
        throw new AppError(
          'CORRUPT_MODEL',
          `node ${n} splits on feature ${f} of ${model.numFeature}`,
          {
            field: 'feature',
          },
        )
      }
    }
  }
}
