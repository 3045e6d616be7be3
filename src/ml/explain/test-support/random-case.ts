import type { TreeEnsemble } from '../../xgboost/ensemble.js'
import {
  buildEnsemble,
  randomRows,
  randomTree,
  seededRandom,
} from '../../xgboost/test-support/ensemble-builder.js'

export interface RandomCase {
  readonly model: TreeEnsemble
  readonly rows: Float32Array
  readonly numRows: number
}

/**
 * A seeded random ensemble and rows: features drawn from a small pool so they repeat on
 * paths, some zero-cover leaves, missing cells, thresholds on the values rows take.
 */
export const randomCase = (
  seed: number,
  opts: { numGroup?: number; maxFeatures?: number; maxDepth?: number; numRows?: number } = {},
): RandomCase => {
  const rand = seededRandom(seed)
  const numGroup = opts.numGroup ?? 1
  const numFeature = 2 + Math.floor(rand() * ((opts.maxFeatures ?? 10) - 1))
  const maxDepth = 1 + Math.floor(rand() * (opts.maxDepth ?? 6))
  const numTrees = (1 + Math.floor(rand() * 4)) * numGroup
  const featurePool = Math.max(1, Math.min(numFeature, 1 + Math.floor(rand() * numFeature)))
  const trees = Array.from({ length: numTrees }, () =>
    randomTree(rand, { numFeature, maxDepth, featurePool, zeroCoverChance: 0.05 }),
  )
  const model = buildEnsemble(trees, { numFeature, numGroup, baseMargin: rand() - 0.5 })
  const numRows = opts.numRows ?? 6
  return { model, rows: randomRows(rand, numRows, numFeature), numRows }
}

/** Largest absolute difference; Infinity when the lengths differ. */
export const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY
  let d = 0
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs((a[i] ?? 0) - (b[i] ?? 0)))
  return d
}
