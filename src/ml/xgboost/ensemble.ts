/**
 * A parsed gradient-boosted tree ensemble, laid out as flat typed arrays (struct of arrays) so
 * that prediction and TreeSHAP touch no objects per node.
 *
 * Nodes of all trees share one index space. Tree `t` owns nodes `treeOffset[t]` to
 * `treeOffset[t + 1] - 1`, its root first. Only nodes reachable from the root are kept (the
 * parser drops XGBoost's deleted nodes and renumbers), in depth-first pre-order, so a node's
 * children always come after it.
 */
export interface TreeEnsemble {
  /** Objective name as stored in the model, e.g. `binary:logistic`, `reg:linear`. */
  readonly objective: string
  /** Number of input columns the model was trained on. */
  readonly numFeature: number
  /** Number of output groups: 1 for binary and regression, k for `multi:*`. */
  readonly numGroup: number
  /** The base margin exactly as stored (already in margin space), a float32 value. */
  readonly baseMargin: number
  readonly numTrees: number
  /** Length numTrees + 1. */
  readonly treeOffset: Int32Array
  /** Output group of each tree (tree i belongs to group treeGroup[i]). */
  readonly treeGroup: Int32Array
  /** Depth of each tree: edges on the longest root-to-leaf path (a lone leaf has depth 0). */
  readonly treeDepth: Int32Array
  /** Global index of the left child, or -1 for a leaf. */
  readonly left: Int32Array
  /** Global index of the right child, or -1 for a leaf. */
  readonly right: Int32Array
  /** Split feature index (0 on leaves). */
  readonly feature: Int32Array
  /** Split threshold: `x < threshold` goes left (float32, compared in float32). */
  readonly threshold: Float32Array
  /** 1 where a missing value goes to the left child. */
  readonly defaultLeft: Uint8Array
  /** Leaf value (eta already applied); 0 on internal nodes. */
  readonly leafValue: Float32Array
  /** Sum of hessians of the training rows reaching the node ("cover"). */
  readonly cover: Float32Array
}

/** Number of nodes in the ensemble. */
export const nodeCount = (m: TreeEnsemble): number => m.left.length

/** True when node `n` is a leaf. */
export const isLeaf = (m: TreeEnsemble, n: number): boolean => m.left[n] === -1
