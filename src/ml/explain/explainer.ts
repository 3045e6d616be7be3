import { AppError } from '../../core/errors.js'
import type { TreeEnsemble } from '../xgboost/ensemble.js'
import { coverFractions } from './cover-fractions.js'
import { createFastTreeShap, FAST_TREE_SHAP_MAX_UNIQUE } from './fast-tree-shap.js'
import { fastTreeShapLayoutBytes } from './fast-tree-shap-layout.js'
import { analyseLeafPaths } from './leaf-paths.js'
import { checkExplainable } from './model-checks.js'
import type { ShapAlgorithm, ShapExplainer } from './shap-explainer.js'
import { createTreeShap } from './tree-shap.js'

/** Default memory bound for Fast TreeSHAP v2 tables: 64 MiB. */
export const DEFAULT_MAX_TABLE_BYTES = 64 * 1024 * 1024

export interface ExplainerOptions {
  /** Largest table memory Fast TreeSHAP v2 may take; above it Algorithm 2 is used. */
  readonly maxTableBytes?: number
  /** Force one algorithm; `'auto'` (default) picks v2 when its tables fit. */
  readonly algorithm?: ShapAlgorithm | 'auto'
}

/**
 * Builds an exact TreeSHAP explainer for a model. Fast TreeSHAP v2 costs O(leaves × depth)
 * per row but keeps 2^(unique features on the path) float64 per leaf; Algorithm 2 costs
 * O(leaves × depth²) per row and no tables. `'auto'` takes v2 when its tables fit within
 * `maxTableBytes` and no path has more than {@link FAST_TREE_SHAP_MAX_UNIQUE} unique features,
 * else Algorithm 2. Both give the same values (within float64 rounding).
 */
export const createExplainer = (
  model: TreeEnsemble,
  options: ExplainerOptions = {},
): ShapExplainer => {
  const maxTableBytes = options.maxTableBytes ?? DEFAULT_MAX_TABLE_BYTES
  if (!(maxTableBytes >= 0)) {
    throw new AppError('VALIDATION', `maxTableBytes must be ≥ 0, got ${maxTableBytes}`, {
      field: 'maxTableBytes',
    })
  }
  const algorithm = options.algorithm ?? 'auto'
  if (algorithm === 'tree-shap') return createTreeShap(model)
  if (algorithm === 'fast-tree-shap-v2') return createFastTreeShap(model, maxTableBytes)
  checkExplainable(model)
  const paths = analyseLeafPaths(model, coverFractions(model))
  const fits =
    paths.maxUnique <= FAST_TREE_SHAP_MAX_UNIQUE && fastTreeShapLayoutBytes(paths) <= maxTableBytes
  return fits ? createFastTreeShap(model, maxTableBytes) : createTreeShap(model)
}
