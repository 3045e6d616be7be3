import { mulberry32 } from '../../../core/random.js'
import type { TreeEnsemble } from '../ensemble.js'

/** A leaf of a hand-written test tree. */
export interface LeafSpec {
  readonly leaf: number
  readonly cover: number
}

/** A split of a hand-written test tree: `x < threshold` goes left, missing follows defaultLeft. */
export interface SplitSpec {
  readonly feature: number
  readonly threshold: number
  readonly defaultLeft: boolean
  readonly cover: number
  readonly left: TreeSpec
  readonly right: TreeSpec
}

export type TreeSpec = LeafSpec | SplitSpec

export interface EnsembleOptions {
  readonly numFeature: number
  readonly numGroup?: number
  readonly baseMargin?: number
  /** Group of each tree; default: tree i belongs to group i % numGroup, as XGBoost rounds go. */
  readonly treeGroup?: ReadonlyArray<number>
  readonly objective?: string
}

const isLeafSpec = (s: TreeSpec): s is LeafSpec => 'leaf' in s

/** Builds a {@link TreeEnsemble} (pre-order, all trees in one node index space) from specs. */
export const buildEnsemble = (
  trees: ReadonlyArray<TreeSpec>,
  opts: EnsembleOptions,
): TreeEnsemble => {
  const numGroup = opts.numGroup ?? 1
  const left: number[] = []
  const right: number[] = []
  const feature: number[] = []
  const threshold: number[] = []
  const defaultLeft: number[] = []
  const leafValue: number[] = []
  const cover: number[] = []
  const treeOffset: number[] = [0]
  const treeDepth: number[] = []

  const emit = (s: TreeSpec, depth: number): number => {
    const id = left.length
    left.push(-1)
    right.push(-1)
    cover.push(s.cover)
    if (isLeafSpec(s)) {
      feature.push(0)
      threshold.push(0)
      defaultLeft.push(0)
      leafValue.push(s.leaf)
      return depth
    }
    feature.push(s.feature)
    threshold.push(s.threshold)
    defaultLeft.push(s.defaultLeft ? 1 : 0)
    leafValue.push(0)
    const l = left.length
    const dl = emit(s.left, depth + 1)
    const r = left.length
    const dr = emit(s.right, depth + 1)
    left[id] = l
    right[id] = r
    return Math.max(dl, dr)
  }

  for (const t of trees) {
    treeDepth.push(emit(t, 0))
    treeOffset.push(left.length)
  }
  return {
    objective: opts.objective ?? (numGroup > 1 ? 'multi:softprob' : 'binary:logistic'),
    numFeature: opts.numFeature,
    numGroup,
    baseMargin: Math.fround(opts.baseMargin ?? 0),
    numTrees: trees.length,
    treeOffset: Int32Array.from(treeOffset),
    treeGroup: Int32Array.from(opts.treeGroup ?? trees.map((_, i) => i % numGroup)),
    treeDepth: Int32Array.from(treeDepth),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    feature: Int32Array.from(feature),
    threshold: Float32Array.from(threshold),
    defaultLeft: Uint8Array.from(defaultLeft),
    leafValue: Float32Array.from(leafValue),
    cover: Float32Array.from(cover),
  }
}

/** A seeded PRNG returning floats in [0, 1). */
export const seededRandom = mulberry32

export interface RandomTreeOptions {
  readonly numFeature: number
  readonly maxDepth: number
  /** Chance that a node above maxDepth stops early as a leaf. */
  readonly leafChance?: number
  /** Chance that a leaf's cover is 0 (exercises the zero-cover rule). */
  readonly zeroCoverChance?: number
  /** Splits only on the first `featurePool` features, so features repeat on paths. */
  readonly featurePool?: number
}

/**
 * A random tree whose thresholds lie on the grid {-2, -1.5, …, 2} (so random rows sit on both
 * sides and on thresholds) and whose internal covers are the float32 sums of their children,
 * as XGBoost's hessian sums are.
 */
export const randomTree = (rand: () => number, opts: RandomTreeOptions): TreeSpec => {
  const pool = opts.featurePool ?? opts.numFeature
  const grow = (depth: number): TreeSpec => {
    if (depth >= opts.maxDepth || (depth > 0 && rand() < (opts.leafChance ?? 0.2))) {
      const zero = rand() < (opts.zeroCoverChance ?? 0)
      return {
        leaf: Math.fround(rand() * 2 - 1),
        cover: zero ? 0 : Math.fround(0.25 + rand() * 20),
      }
    }
    const l = grow(depth + 1)
    const r = grow(depth + 1)
    return {
      feature: Math.floor(rand() * pool),
      threshold: Math.round(rand() * 8 - 4) / 2,
      defaultLeft: rand() < 0.5,
      cover: Math.fround(l.cover + r.cover),
      left: l,
      right: r,
    }
  }
  return grow(0)
}

/** Random rows on the threshold grid and between, with `missingChance` cells set to -1. */
export const randomRows = (
  rand: () => number,
  numRows: number,
  numFeature: number,
  missingChance = 0.15,
): Float32Array => {
  const out = new Float32Array(numRows * numFeature)
  for (let i = 0; i < out.length; i++) {
    const u = rand()
    if (u < missingChance) out[i] = -1
    else out[i] = rand() < 0.3 ? Math.round(rand() * 8 - 4) / 2 : rand() * 5 - 2.5
  }
  return out
}
