import type { TreeEnsemble } from './ensemble.js'
import { MISSING } from './missing.js'

/**
 * Adds the leaves one row reaches in a run of trees to `acc` (one float32 slot per output
 * group): `acc[g] = fround(acc[g] + leaf)` per tree, in tree order. The row's features start
 * at `x[s]`; inputs are float32 mapped by `toXgbValue` (-1 = missing) with no NaN.
 */
export type TreeChunk = (x: Float32Array, s: number, acc: Float32Array) => void

/**
 * Most nodes compiled into one function. V8's TurboFan refuses functions whose bytecode is over
 * 60 KB (`--max-optimized-bytecode-size`); a node is ~15-30 bytes of bytecode here, so 1,000
 * nodes stays under (measured faster than 500 or 2,000), and a chunk costs one call per row.
 */
export const MAX_NODES_PER_CHUNK = 1000

/**
 * A numeric literal that evaluates to exactly `v` (a float32 value held in a double: `String`
 * of a double round-trips, and the few non-finite or signed-zero values are spelled out).
 */
const literal = (v: number): string => {
  if (Number.isNaN(v)) return 'NaN'
  if (v === Number.POSITIVE_INFINITY) return 'Infinity'
  if (v === Number.NEGATIVE_INFINITY) return '-Infinity'
  if (Object.is(v, -0)) return '-0'
  return String(v)
}

/**
 * The test "row goes right at node n" for feature local `v`, as XGBoost 0.7 routes: missing
 * (-1) follows the default branch, otherwise `v < t` goes left, i.e. `v >= t` goes right
 * (thresholds are finite: the parsers refuse others). When -1 itself would already take the
 * default branch through `v >= t`, the missing test is dropped.
 */
const goesRight = (v: string, t: number, defaultLeft: boolean): string => {
  const lit = literal(t)
  const minusOneGoesRight = MISSING >= t
  if (minusOneGoesRight === !defaultLeft) return `${v} >= ${lit}`
  // Bitwise, not && / ||: short-circuit operators compile to branches (measured 1.4x slower).
  return defaultLeft ? `((${v} !== -1) & (${v} >= ${lit}))` : `((${v} === -1) | (${v} >= ${lit}))`
}

/** Nested ternary evaluating to the leaf value of the subtree at `node` (depth <= 64, checked by the parser). */
const subtree = (m: TreeEnsemble, node: number): string => {
  const l = m.left[node] as number
  if (l === -1) return literal(m.leafValue[node] as number)
  const v = `f${m.feature[node] as number}`
  const test = goesRight(v, m.threshold[node] as number, m.defaultLeft[node] === 1)
  const right = subtree(m, m.right[node] as number)
  return `(${test} ? ${right} : ${subtree(m, l)})`
}

/** Deepest tree compiled branch-free: a level's right/left bits must fit one int32 (2^5 nodes). */
const MAX_BRANCHLESS_DEPTH = 6

/**
 * Branch-free evaluation tests every split (cost ~ internal nodes) but never mispredicts;
 * nested ternaries test ~depth splits but mispredict about half of them (~15 cycles each).
 * Measured per row on the golden models: branch-free is 1.4-1.7x faster on heart and
 * cleveland (<= ~3 internal nodes per level) and no faster on full depth-6 trees (diabetic,
 * ~6 per level), so trees with more than 4 internal nodes per level use ternaries.
 */
const useBranchFree = (m: TreeEnsemble, t: number): boolean => {
  const depth = m.treeDepth[t] as number
  const internal = ((m.treeOffset[t + 1] as number) - (m.treeOffset[t] as number) - 1) / 2
  return depth <= MAX_BRANCHLESS_DEPTH && internal <= 4 * depth
}

/**
 * A tree of depth <= 6 as branch-free code: every split is compared at once (independent
 * tests, no mispredicted branches), level k's outcomes are packed into the bits of `w{k}`
 * (bit p = node p of that level goes right), the path is read off level by level, and the leaf
 * is fetched from `L` (leaves at depth d, padded: a shallower leaf's slots below it all hold
 * its value, and its missing splits count as "left"). Returns the statements and the leaf
 * expression; appends the tree's 2^depth leaf slots to `leaves`.
 */
const branchFreeTree = (m: TreeEnsemble, t: number, leaves: number[]): [string, string] => {
  const depth = m.treeDepth[t] as number
  const off = leaves.length
  for (let i = 0; i < 1 << depth; i++) leaves.push(0)
  const terms: string[][] = Array.from({ length: depth }, () => [])
  const visit = (node: number, level: number, pos: number): void => {
    const l = m.left[node] as number
    if (l === -1) {
      const span = 1 << (depth - level)
      for (let i = 0; i < span; i++) leaves[off + pos * span + i] = m.leafValue[node] as number
      return
    }
    const test = goesRight(
      `f${m.feature[node] as number}`,
      m.threshold[node] as number,
      m.defaultLeft[node] === 1,
    )
    terms[level]?.push(pos === 0 ? `(${test})` : `((${test}) << ${pos})`)
    visit(l, level + 1, 2 * pos)
    visit(m.right[node] as number, level + 1, 2 * pos + 1)
  }
  visit(m.treeOffset[t] as number, 0, 0)
  const stmts: string[] = []
  for (let k = 0; k < depth; k++) stmts.push(`w${k} = ${terms[k]?.join(' | ') || '0'};`)
  stmts.push('p = 0;')
  for (let k = 0; k < depth; k++) stmts.push(`p = (p << 1) | ((w${k} >> p) & 1);`)
  return [stmts.join(' '), `L[${off} + p]`]
}

/**
 * JavaScript source of a factory `(L) => TreeChunk` for trees `[from, to)`, and the leaf table
 * `L` it must be given.
 *
 * Safe to hand to `new Function`: every piece of the text is either fixed here or a number
 * printed by {@link literal} / an integer index from the validated typed arrays of the
 * ensemble. No string from the model (objective, feature names) ever reaches the code.
 */
export const chunkSource = (
  m: TreeEnsemble,
  from: number,
  to: number,
  branchFree = true,
): { source: string; leaves: Float64Array } => {
  const used = new Set<number>()
  for (let n = m.treeOffset[from] as number; n < (m.treeOffset[to] as number); n++) {
    if ((m.left[n] as number) !== -1) used.add(m.feature[n] as number)
  }
  const lines: string[] = ['"use strict";', 'const fr = Math.fround;', 'return (x, s, acc) => {']
  for (const f of [...used].sort((a, b) => a - b)) lines.push(`const f${f} = x[s + ${f}];`)
  lines.push(
    `let p = 0; ${Array.from({ length: MAX_BRANCHLESS_DEPTH }, (_, k) => `let w${k} = 0;`).join(' ')}`,
  )
  const groups = new Set<number>()
  for (let t = from; t < to; t++) groups.add(m.treeGroup[t] as number)
  for (const g of groups) lines.push(`let g${g} = acc[${g}];`)
  const leaves: number[] = []
  const body: string[] = []
  for (let t = from; t < to; t++) {
    const g = m.treeGroup[t] as number
    if (branchFree && useBranchFree(m, t)) {
      const [stmts, leaf] = branchFreeTree(m, t, leaves)
      body.push(stmts, `g${g} = fr(g${g} + ${leaf});`)
    } else body.push(`g${g} = fr(g${g} + ${subtree(m, m.treeOffset[t] as number)});`)
  }
  lines.push(...body)
  for (const g of groups) lines.push(`acc[${g}] = g${g};`)
  lines.push('};')
  return { source: lines.join('\n'), leaves: Float64Array.from(leaves) }
}

/** Splits the trees into runs of at most {@link MAX_NODES_PER_CHUNK} nodes (a bigger tree alone). */
export const chunkBounds = (m: TreeEnsemble, maxNodes = MAX_NODES_PER_CHUNK): number[] => {
  const bounds = [0]
  let start = m.treeOffset[0] as number
  for (let t = 0; t < m.numTrees; t++) {
    const end = m.treeOffset[t + 1] as number
    if (end - start > maxNodes && t > (bounds[bounds.length - 1] as number)) {
      bounds.push(t)
      start = m.treeOffset[t] as number
    }
  }
  bounds.push(m.numTrees)
  return bounds
}

const cache = new WeakMap<TreeEnsemble, readonly TreeChunk[]>()

/**
 * The ensemble compiled to straight-line JavaScript, one function per chunk of trees (built on
 * first use and cached; ensembles are immutable). Literal thresholds compared with features
 * held in locals beat walking typed arrays (measured 1.2-2x): no node fetch between two
 * comparisons. `branchFree = false` and `maxNodes` exist for tests and measurements; only the
 * default build is cached.
 */
export const compiledChunks = (
  m: TreeEnsemble,
  branchFree = true,
  maxNodes = MAX_NODES_PER_CHUNK,
): readonly TreeChunk[] => {
  const hit = branchFree && maxNodes === MAX_NODES_PER_CHUNK ? cache.get(m) : undefined
  if (hit !== undefined) return hit
  const bounds = chunkBounds(m, maxNodes)
  const chunks: TreeChunk[] = []
  for (let i = 0; i + 1 < bounds.length; i++) {
    const from = bounds[i] as number
    const to = bounds[i + 1] as number
    if (from === to) continue
    // Built only from numbers (see chunkSource): the Function constructor is the point here.
    const { source, leaves } = chunkSource(m, from, to, branchFree)
    chunks.push(new Function('L', source)(leaves) as TreeChunk)
  }
  if (branchFree && maxNodes === MAX_NODES_PER_CHUNK) cache.set(m, chunks)
  return chunks
}
