import { AppError } from '../../core/errors.js'
import { ByteReader } from './byte-reader.js'
import type { TreeEnsemble } from './ensemble.js'
import { buildTrees, type TreeLocation } from './legacy-tree-walk.js'

/**
 * Parser for the legacy binary model format of XGBoost 0.7x, as ml-xgboost 1.1.2 writes it
 * (layout: ../shared/reference/xgboost-legacy-binary-format.md, read from dmlc/xgboost commit
 * 375d753 `Learner::Load`, `GBTree::Load`, `RegTree::LoadModel`).
 *
 * The bytes are untrusted: every count, index and length is checked against the bytes that
 * remain before anything is allocated, and child pointers are walked with a visited set, so
 * corrupt input ends in `AppError('CORRUPT_MODEL')` (or `UNSUPPORTED` for DART, gblinear and
 * other valid-but-foreign variants, and for trees deeper than `MAX_TREE_DEPTH`, which would
 * make TreeSHAP's depth² tables huge), never a crash, a hang or a huge allocation.
 */

/** Everything the legacy file holds besides the trees. */
export interface LegacyModel {
  readonly ensemble: TreeEnsemble
  /** Learner attributes (`contain_extra_attrs`), in file order. */
  readonly attributes: ReadonlyMap<string, string>
  /** Evaluation metric names (`contain_eval_metrics`), e.g. `['auc']`. */
  readonly evalMetrics: readonly string[]
  /** `count:poisson` only: the max_delta_step the model was trained with. */
  readonly maxDeltaStep: number | undefined
}

/** Sanity bounds: far above any real model, low enough that consumers may size arrays by them. */
export const MAX_FEATURES = 1 << 24
export const MAX_GROUPS = 1 << 16

const LEARNER_PARAM_BYTES = 136
const GBTREE_PARAM_BYTES = 160
const TREE_PARAM_BYTES = 148
const NODE_BYTES = 20
const STAT_BYTES = 16
/** Smallest possible tree (one node) plus its tree_info entry. */
const MIN_TREE_BYTES = TREE_PARAM_BYTES + NODE_BYTES + STAT_BYTES + 4
const DELETED = 0xffffffff

const unsupported = (message: string): never => {
  throw new AppError('UNSUPPORTED', message, { field: 'model' })
}

const isPrintableName = (s: string): boolean => /^[\x21-\x7e]{1,256}$/.test(s)

/** Parses ml-xgboost's model bytes into a {@link TreeEnsemble}. */
export const parseLegacyModel = (bytes: Uint8Array): TreeEnsemble =>
  parseLegacyModelDetails(bytes).ensemble

/** Parses ml-xgboost's model bytes, keeping the attribute, metric and Poisson sections too. */
export const parseLegacyModelDetails = (bytes: Uint8Array): LegacyModel => {
  const r = new ByteReader(bytes)
  if (r.remaining >= 4 && r.text(4, 'magic') !== 'binf') r.seek(0)

  // LearnerModelParam (136 bytes).
  r.need(LEARNER_PARAM_BYTES, 'learner parameters')
  const learnerAt = r.offset
  const baseMargin = r.f32('base_score')
  const numFeature = r.u32('num_feature')
  const numClass = r.i32('num_class')
  const hasAttributes = r.i32('contain_extra_attrs')
  const hasEvalMetrics = r.i32('contain_eval_metrics')
  const majorVersion = r.i32('major version')
  r.skip(LEARNER_PARAM_BYTES - 24, 'learner reserved words')
  if (!Number.isFinite(baseMargin)) r.fail('base_score is not finite', learnerAt)
  if (numFeature > MAX_FEATURES) r.fail(`num_feature ${numFeature} is implausible`, learnerAt + 4)
  if (numClass < 0 || numClass > MAX_GROUPS) r.fail(`num_class ${numClass}`, learnerAt + 8)
  if ((hasAttributes | 1) !== 1) r.fail('contain_extra_attrs is not 0/1', learnerAt + 12)
  if ((hasEvalMetrics | 1) !== 1) r.fail('contain_eval_metrics is not 0/1', learnerAt + 16)
  if (majorVersion !== 0) {
    unsupported(`model saved by XGBoost ${majorVersion}.x: only the 0.7x legacy format is read`)
  }

  const objective = readObjectiveName(r)
  const boosterAt = r.offset
  const booster = r.string('booster name')
  if (booster === 'dart')
    unsupported('DART models are not supported (ml-xgboost drops trees at predict time)')
  if (booster === 'gblinear') unsupported('gblinear models are not supported')
  if (booster !== 'gbtree') r.fail(`unknown booster '${booster.slice(0, 40)}'`, boosterAt)

  // GBTreeModelParam (160 bytes).
  r.need(GBTREE_PARAM_BYTES, 'gbtree parameters')
  const gbAt = r.offset
  const numTrees = r.i32('num_trees')
  const numRoots = r.i32('num_roots')
  const gbNumFeature = r.i32('num_feature')
  r.skip(12, 'padding and num_pbuffer')
  const numGroup = r.i32('num_output_group')
  const sizeLeafVector = r.i32('size_leaf_vector')
  r.skip(GBTREE_PARAM_BYTES - 32, 'gbtree reserved words')
  if (numTrees < 0 || numTrees * MIN_TREE_BYTES > r.remaining) {
    r.fail(`num_trees ${numTrees} does not fit in the ${r.remaining} bytes left`, gbAt)
  }
  if (numRoots !== 1) unsupported(`num_roots ${numRoots}: only single-root trees are supported`)
  if (gbNumFeature !== numFeature) r.fail(`num_feature ${gbNumFeature} != ${numFeature}`, gbAt + 8)
  if (numGroup !== Math.max(1, numClass)) {
    r.fail(`num_output_group ${numGroup} does not match num_class ${numClass}`, gbAt + 24)
  }
  if (sizeLeafVector !== 0) unsupported('leaf vectors (size_leaf_vector != 0) are not supported')

  const trees: TreeLocation[] = []
  let liveNodes = 0
  for (let t = 0; t < numTrees; t++) {
    const tree = readTreeLocation(r, t, numFeature)
    liveNodes += tree.liveNodes
    trees.push(tree)
  }

  r.need(numTrees * 4, 'tree_info')
  const treeGroup = new Int32Array(numTrees)
  for (let t = 0; t < numTrees; t++) {
    const g = r.i32('tree_info')
    if (g < 0 || g >= numGroup) r.fail(`tree_info[${t}] = ${g} is not a group`, r.offset - 4)
    treeGroup[t] = g
  }

  const attributes = new Map<string, string>()
  if (hasAttributes === 1) {
    const n = r.length('attribute count', 16)
    for (let i = 0; i < n; i++)
      attributes.set(r.string('attribute key'), r.string('attribute value'))
  }
  let maxDeltaStep: number | undefined
  if (objective === 'count:poisson') {
    const at = r.offset
    const text = r.string('max_delta_step')
    maxDeltaStep = Number(text)
    if (text.trim() === '' || !Number.isFinite(maxDeltaStep))
      r.fail('max_delta_step is not a number', at)
  }
  const evalMetrics: string[] = []
  if (hasEvalMetrics === 1) {
    const n = r.length('eval metric count', 8)
    for (let i = 0; i < n; i++) evalMetrics.push(r.string('eval metric'))
  }
  if (r.remaining !== 0) r.fail(`${r.remaining} unexpected trailing bytes`)

  const arrays = buildTrees(r, trees, liveNodes, numFeature)
  const ensemble: TreeEnsemble = {
    objective,
    numFeature,
    numGroup,
    baseMargin,
    numTrees,
    treeGroup,
    ...arrays,
  }
  return { ensemble, attributes, evalMetrics, maxDeltaStep }
}

/** The objective name, with the 0.7 reader's backward-compatible length variant. */
const readObjectiveName = (r: ByteReader): string => {
  const at = r.offset
  const lo = r.u32('objective name length')
  const hi = r.u32('objective name length')
  let n = lo
  if (hi !== 0 || lo === 0xffffffff) {
    // Old writers put the length in the high word and 4 more bytes after it.
    r.skip(4, 'objective name gap')
    n = hi
  }
  const name = r.text(n, 'objective name')
  if (!isPrintableName(name)) r.fail('objective name is not a printable identifier', at)
  return name
}

/** Reads one TreeParam, checks its sizes and deleted-node count, and skips its node records. */
const readTreeLocation = (r: ByteReader, t: number, numFeature: number): TreeLocation => {
  r.need(TREE_PARAM_BYTES, `tree ${t} parameters`)
  const at = r.offset
  const numRoots = r.i32('tree num_roots')
  const numNodes = r.i32('num_nodes')
  const numDeleted = r.i32('num_deleted')
  r.skip(4, 'max_depth')
  const treeNumFeature = r.i32('tree num_feature')
  const sizeLeafVector = r.i32('tree size_leaf_vector')
  r.skip(TREE_PARAM_BYTES - 24, 'tree reserved words')
  if (numRoots !== 1) r.fail(`tree ${t} num_roots ${numRoots}`, at)
  if (numNodes < 1 || numNodes * (NODE_BYTES + STAT_BYTES) > r.remaining) {
    r.fail(`tree ${t} num_nodes ${numNodes} does not fit in the ${r.remaining} bytes left`, at + 4)
  }
  if (numDeleted < 0 || numDeleted >= numNodes) {
    r.fail(`tree ${t} num_deleted ${numDeleted} of ${numNodes} nodes`, at + 8)
  }
  if (treeNumFeature !== numFeature) r.fail(`tree ${t} num_feature ${treeNumFeature}`, at + 16)
  if (sizeLeafVector !== 0) unsupported('leaf vectors (size_leaf_vector != 0) are not supported')

  const nodesAt = r.offset
  r.skip(numNodes * NODE_BYTES, `tree ${t} nodes`)
  const statsAt = r.offset
  r.skip(numNodes * STAT_BYTES, `tree ${t} node stats`)

  if (r.u32At(nodesAt + 12) === DELETED) r.fail(`tree ${t} root is marked deleted`, nodesAt + 12)
  let deleted = 0
  for (let i = 1; i < numNodes; i++)
    if (r.u32At(nodesAt + i * NODE_BYTES + 12) === DELETED) deleted++
  if (deleted !== numDeleted) {
    r.fail(`tree ${t} has ${deleted} deleted nodes, num_deleted says ${numDeleted}`, at + 8)
  }
  return { index: t, nodesAt, statsAt, numNodes, liveNodes: numNodes - numDeleted }
}
