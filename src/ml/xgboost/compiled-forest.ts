import type { TreeEnsemble } from './ensemble.js'

/**
 * A prediction-only layout of a {@link TreeEnsemble}, built once per ensemble and cached.
 *
 * Leaves point to themselves, so every row walks exactly `depth[t]` steps in tree t: the loop
 * count is the same for every row (no mispredicted loop exits), and the child is picked by
 * index arithmetic (`child[2n + goRight]`) rather than a branch on the data.
 */
export interface CompiledForest {
  readonly root: Int32Array
  readonly depth: Int32Array
  /** `child[2n]` = left, `child[2n + 1]` = right; both `n` on a leaf. */
  readonly child: Int32Array
  /** `feature << 1 | 1` when a missing value goes right (0 on leaves). */
  readonly split: Int32Array
  readonly threshold: Float32Array
}

const cache = new WeakMap<TreeEnsemble, CompiledForest>()

/** The compiled layout of `m` (computed on first use; ensembles are immutable). */
export const compiledForest = (m: TreeEnsemble): CompiledForest => {
  const hit = cache.get(m)
  if (hit !== undefined) return hit
  const n = m.left.length
  const child = new Int32Array(2 * n)
  const split = new Int32Array(n)
  const threshold = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    const l = m.left[i] as number
    if (l === -1) {
      child[2 * i] = i
      child[2 * i + 1] = i
      continue
    }
    child[2 * i] = l
    child[2 * i + 1] = m.right[i] as number
    split[i] = ((m.feature[i] as number) << 1) | (m.defaultLeft[i] === 1 ? 0 : 1)
    threshold[i] = m.threshold[i] as number
  }
  const compiled: CompiledForest = {
    root: m.treeOffset.slice(0, m.numTrees),
    depth: m.treeDepth,
    child,
    split,
    threshold,
  }
  cache.set(m, compiled)
  return compiled
}
