import type { ByteReader } from './byte-reader.js'
import { checkTreeDepth } from './tree-depth-limit.js'

/** Where one tree's node and stat records lie in the file (already bounds-checked). */
export interface TreeLocation {
  readonly index: number
  readonly nodesAt: number
  readonly statsAt: number
  readonly numNodes: number
  /** num_nodes - num_deleted: the nodes a walk from the root must reach, no more, no less. */
  readonly liveNodes: number
}

/** The node arrays of a {@link TreeEnsemble}. */
export interface TreeArrays {
  readonly treeOffset: Int32Array
  readonly treeDepth: Int32Array
  readonly left: Int32Array
  readonly right: Int32Array
  readonly feature: Int32Array
  readonly threshold: Float32Array
  readonly defaultLeft: Uint8Array
  readonly leafValue: Float32Array
  readonly cover: Float32Array
}

const NODE_BYTES = 20
const STAT_BYTES = 16
const DELETED = 0xffffffff
const LEFT_BIT = 0x80000000

/**
 * Walks every tree from its root and writes its reachable nodes in depth-first pre-order (left
 * subtree first), renumbered into one global index space. This drops deleted nodes (pruned
 * slots that still sit in the arrays) and reads leafness from `cleft == -1` only, because
 * leaves made by pruning keep their old split bits.
 *
 * Hostile structure is rejected: a child id out of range, a deleted child, a node reached twice
 * (cycles, shared subtrees), a parent pointer that disagrees with the walk, a split on a feature
 * the model does not have, non-finite values, or a reachable count != num_nodes - num_deleted.
 * A tree deeper than `MAX_TREE_DEPTH` is refused as `UNSUPPORTED` once its (iterative) walk ends.
 */
export const buildTrees = (
  r: ByteReader,
  trees: readonly TreeLocation[],
  liveNodes: number,
  numFeature: number,
): TreeArrays => {
  const treeOffset = new Int32Array(trees.length + 1)
  const treeDepth = new Int32Array(trees.length)
  const left = new Int32Array(liveNodes)
  const right = new Int32Array(liveNodes)
  const feature = new Int32Array(liveNodes)
  const threshold = new Float32Array(liveNodes)
  const defaultLeft = new Uint8Array(liveNodes)
  const leafValue = new Float32Array(liveNodes)
  const cover = new Float32Array(liveNodes)

  let maxNodes = 0
  for (const t of trees) maxNodes = Math.max(maxNodes, t.numNodes)
  // Visited marks and the explicit DFS stack (old id, new parent id, is-left, depth) are sized by
  // the largest tree, which the caller bounded by the file size; a stack entry is pushed only for
  // an unvisited node, so the stack never exceeds the tree's node count.
  const visitedBy = new Int32Array(maxNodes).fill(-1)
  const stackNode = new Int32Array(maxNodes)
  const stackParent = new Int32Array(maxNodes)
  const stackIsLeft = new Uint8Array(maxNodes)
  const stackDepth = new Int32Array(maxNodes)

  let next = 0
  for (const tree of trees) {
    const { index: t, nodesAt, statsAt, numNodes } = tree
    const end = next + tree.liveNodes
    treeOffset[t] = next
    let depthMax = 0
    let sp = 0
    stackNode[0] = 0
    stackParent[0] = -1
    stackIsLeft[0] = 0
    stackDepth[0] = 0
    visitedBy[0] = t
    sp = 1
    while (sp > 0) {
      sp--
      const old = stackNode[sp] as number
      const parent = stackParent[sp] as number
      const isLeft = stackIsLeft[sp] as number
      const depth = stackDepth[sp] as number
      const at = nodesAt + old * NODE_BYTES
      if (next >= end) r.fail(`tree ${t} reaches more than ${tree.liveNodes} live nodes`, at)
      const id = next++
      if (depth > depthMax) depthMax = depth

      const parentField = r.u32At(at)
      if (parent === -1) {
        if (parentField !== DELETED) r.fail(`tree ${t} root has a parent`, at)
      } else {
        const wantLeft = isLeft === 1 ? LEFT_BIT : 0
        if ((parentField & LEFT_BIT) >>> 0 !== wantLeft)
          r.fail(`tree ${t} node ${old} side bit`, at)
        if (isLeft === 1) left[parent] = id
        else right[parent] = id
      }

      const cleft = r.i32At(at + 4)
      const cright = r.i32At(at + 8)
      const sindex = r.u32At(at + 12)
      const info = r.f32At(at + 16)
      cover[id] = r.f32At(statsAt + old * STAT_BYTES + 4)
      if (!Number.isFinite(info)) r.fail(`tree ${t} node ${old} value is not finite`, at + 16)
      if (!Number.isFinite(cover[id] as number)) r.fail(`tree ${t} node ${old} cover`, at)

      if (cleft === -1) {
        if (cright !== -1) r.fail(`tree ${t} node ${old} has only a right child`, at + 8)
        left[id] = -1
        right[id] = -1
        leafValue[id] = info
        continue
      }
      const f = (sindex & 0x7fffffff) >>> 0
      if (f >= numFeature) r.fail(`tree ${t} node ${old} splits on feature ${f}`, at + 12)
      feature[id] = f
      defaultLeft[id] = sindex >>> 31
      threshold[id] = info
      // Push right first so the left subtree is numbered first (pre-order).
      for (const [child, childIsLeft] of [
        [cright, 0],
        [cleft, 1],
      ] as const) {
        if (child < 1 || child >= numNodes) r.fail(`tree ${t} node ${old} child id ${child}`, at)
        if (visitedBy[child] === t) r.fail(`tree ${t} node ${child} is reached twice`, at)
        if (r.u32At(nodesAt + child * NODE_BYTES + 12) === DELETED) {
          r.fail(`tree ${t} node ${old} points at deleted node ${child}`, at)
        }
        if ((r.u32At(nodesAt + child * NODE_BYTES) & 0x7fffffff) !== old) {
          r.fail(`tree ${t} node ${child} names another parent`, nodesAt + child * NODE_BYTES)
        }
        visitedBy[child] = t
        stackNode[sp] = child
        stackParent[sp] = id
        stackIsLeft[sp] = childIsLeft
        stackDepth[sp] = depth + 1
        sp++
      }
    }
    if (next !== end) {
      r.fail(
        `tree ${t} reaches ${next - (end - tree.liveNodes)} of ${tree.liveNodes} live nodes`,
        nodesAt,
      )
    }
    checkTreeDepth(`tree ${t}`, depthMax, 'model')
    treeDepth[t] = depthMax
  }
  treeOffset[trees.length] = next
  return { treeOffset, treeDepth, left, right, feature, threshold, defaultLeft, leafValue, cover }
}
