import { AppError } from '../../core/errors.js'

/**
 * Deepest tree (edges on the longest root-to-leaf path) Ward reads or explains. Training caps
 * max_depth at 20, so 64 leaves ample room for foreign models, while keeping what consumers
 * size by depth small: TreeSHAP's path tables grow with depth² and its walk recurses once per
 * level, so a tiny hostile "chain" model of depth 20,000 would otherwise ask for gigabytes.
 */
export const MAX_TREE_DEPTH = 64

/** Throws `UNSUPPORTED` naming the tree (as the caller labels it) when `depth` is above the bound. */
export const checkTreeDepth = (tree: string, depth: number, field: string): void => {
  if (depth > MAX_TREE_DEPTH) {
    throw new AppError(
      'UNSUPPORTED',
      `${tree} has depth ${depth}; at most ${MAX_TREE_DEPTH} is supported`,
      { field },
    )
  }
}
