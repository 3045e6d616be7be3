import { AppError } from '../../core/errors.js'
import type { TreeEnsemble } from './ensemble.js'
import { MAX_FEATURES, MAX_GROUPS } from './legacy-binary-parser.js'
import { BASE_MARGIN_ATTRIBUTE, LOGIT_BASE, OBJECTIVE_ATTRIBUTE } from './model-json.js'
import { checkTreeDepth } from './tree-depth-limit.js'

/**
 * Reads an XGBoost 1.x JSON model (as written by `writeModelJson` or by native
 * `Booster.save_model('m.json')`, gbtree only) into a {@link TreeEnsemble}. Trees are walked from
 * the root and renumbered in depth-first pre-order, so deleted slots vanish and the result of
 * reading Ward's own export equals the ensemble that was written. The walk is iterative and a
 * tree deeper than `MAX_TREE_DEPTH` is refused (`UNSUPPORTED`).
 *
 * The base margin comes from the `ward_base_margin` attribute when present (exact), otherwise
 * from `base_score` through the objective's `ProbToMargin` in float32.
 */
export const readModelJson = (input: string | unknown): TreeEnsemble => {
  let doc: unknown = input
  if (typeof input === 'string') {
    try {
      doc = JSON.parse(input)
    } catch (e) {
      fail('model', 'is not JSON', e)
    }
  }
  const learner = obj(obj(doc, 'model').learner, 'learner')
  const booster = obj(learner.gradient_booster, 'learner.gradient_booster')
  if (booster.name !== 'gbtree') {
    throw new AppError('UNSUPPORTED', `booster '${String(booster.name)}' is not supported`, {
      field: 'learner.gradient_booster.name',
    })
  }
  const param = obj(learner.learner_model_param, 'learner.learner_model_param')
  const attributes =
    learner.attributes === undefined ? {} : obj(learner.attributes, 'learner.attributes')
  const numFeature = intString(param.num_feature, 'num_feature', 0, MAX_FEATURES)
  const numClass = intString(param.num_class, 'num_class', 0, MAX_GROUPS)
  const numGroup = Math.max(1, numClass)
  const objectiveName = str(
    obj(learner.objective, 'learner.objective').name,
    'learner.objective.name',
  )
  const stored = attributes[OBJECTIVE_ATTRIBUTE]
  const objective = typeof stored === 'string' ? stored : objectiveName

  const model = obj(booster.model, 'learner.gradient_booster.model')
  const trees = arr(model.trees, 'model.trees')
  const treeInfo = arr(model.tree_info, 'model.tree_info')
  if (treeInfo.length !== trees.length) fail('model.tree_info', `has ${treeInfo.length} entries`)

  const parsed = trees.map((t, i) => readTree(t, `trees[${i}]`, numFeature))
  const total = parsed.reduce((s, t) => s + t.order.length, 0)
  const out = allocate(parsed.length, total)
  let next = 0
  parsed.forEach((t, i) => {
    out.treeOffset[i] = next
    out.treeGroup[i] = int(treeInfo[i], `tree_info[${i}]`, 0, numGroup - 1)
    out.treeDepth[i] = t.depth
    const base = next
    t.order.forEach((local, k) => {
      const g = base + k
      const leaf = (t.left[local] as number) === -1
      out.left[g] = leaf ? -1 : base + (t.newId[t.left[local] as number] as number)
      out.right[g] = leaf ? -1 : base + (t.newId[t.right[local] as number] as number)
      out.feature[g] = leaf ? 0 : (t.feature[local] as number)
      out.threshold[g] = leaf ? 0 : (t.cond[local] as number)
      out.defaultLeft[g] = leaf ? 0 : (t.defaultLeft[local] as number)
      out.leafValue[g] = leaf ? (t.cond[local] as number) : 0
      out.cover[g] = t.hess[local] as number
    })
    next += t.order.length
  })
  out.treeOffset[parsed.length] = next

  return {
    objective,
    numFeature,
    numGroup,
    baseMargin: baseMarginOf(objective, param.base_score, attributes[BASE_MARGIN_ATTRIBUTE]),
    numTrees: parsed.length,
    ...out,
  }
}

const fail = (field: string, what: string, cause?: unknown): never => {
  throw new AppError('CORRUPT_MODEL', `model JSON: ${field} ${what}`, { field, cause })
}
const obj = (v: unknown, field: string): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : fail(field, 'is not an object')
const arr = (v: unknown, field: string): unknown[] =>
  Array.isArray(v) ? v : fail(field, 'is not an array')
const str = (v: unknown, field: string): string =>
  typeof v === 'string' ? v : fail(field, 'is not a string')
const int = (v: unknown, field: string, min: number, max: number): number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max
    ? v
    : fail(field, `is not an integer in [${min}, ${max}]`)
const intString = (v: unknown, field: string, min: number, max: number): number =>
  int(Number(str(v, field)), field, min, max)
const finite = (v: unknown, field: string): number =>
  typeof v === 'number' && Number.isFinite(v)
    ? Math.fround(v)
    : fail(field, 'is not a finite number')

const baseMarginOf = (objective: string, baseScore: unknown, exact: unknown): number => {
  if (typeof exact === 'string' && exact.trim() !== '' && Number.isFinite(Number(exact))) {
    return Math.fround(Number(exact))
  }
  const p = Math.fround(Number(str(baseScore, 'base_score')))
  if (!Number.isFinite(p)) fail('base_score', 'is not a number')
  if (LOGIT_BASE.has(objective)) return Math.fround(Math.log(p / (1 - p)))
  if (objective === 'count:poisson') return Math.fround(Math.log(p))
  return p
}

interface JsonTree {
  left: Int32Array
  right: Int32Array
  feature: Int32Array
  cond: Float32Array
  defaultLeft: Uint8Array
  hess: Float32Array
  /** Local ids in pre-order, and each reached local id's pre-order position. */
  order: number[]
  newId: Int32Array
  depth: number
}

const readTree = (t: unknown, at: string, numFeature: number): JsonTree => {
  const tree = obj(t, at)
  const left = arr(tree.left_children, `${at}.left_children`)
  const n = left.length
  if (n < 1) fail(`${at}.left_children`, 'is empty')
  const column = (key: string): unknown[] => {
    const a = arr(tree[key], `${at}.${key}`)
    return a.length === n ? a : fail(`${at}.${key}`, `has ${a.length} entries, expected ${n}`)
  }
  const ints = (key: string, min: number, max: number) =>
    Int32Array.from(column(key), (v, i) => int(v, `${at}.${key}[${i}]`, min, max))
  const floats = (key: string) =>
    Float32Array.from(column(key), (v, i) => finite(v, `${at}.${key}[${i}]`))
  const out: JsonTree = {
    left: ints('left_children', -1, n - 1),
    right: ints('right_children', -1, n - 1),
    feature: ints('split_indices', 0, 2 ** 31 - 1),
    cond: floats('split_conditions'),
    defaultLeft: Uint8Array.from(ints('default_left', 0, 1)),
    hess: floats('sum_hessian'),
    order: [],
    newId: new Int32Array(n).fill(-1),
    depth: 0,
  }
  const stack: [number, number][] = [[0, 0]]
  while (stack.length > 0) {
    const [id, depth] = stack.pop() ?? [0, 0]
    if ((out.newId[id] as number) !== -1) fail(at, `node ${id} is reached twice`)
    out.newId[id] = out.order.length
    out.order.push(id)
    out.depth = Math.max(out.depth, depth)
    const l = out.left[id] as number
    const r = out.right[id] as number
    if (l === -1 && r === -1) continue
    if (l === -1 || r === -1) fail(at, `node ${id} has one child`)
    if ((out.feature[id] as number) >= numFeature)
      fail(at, `node ${id} splits on a missing feature`)
    stack.push([r, depth + 1], [l, depth + 1])
  }
  checkTreeDepth(at, out.depth, at)
  return out
}

const allocate = (numTrees: number, total: number) => ({
  treeOffset: new Int32Array(numTrees + 1),
  treeGroup: new Int32Array(numTrees),
  treeDepth: new Int32Array(numTrees),
  left: new Int32Array(total),
  right: new Int32Array(total),
  feature: new Int32Array(total),
  threshold: new Float32Array(total),
  defaultLeft: new Uint8Array(total),
  leafValue: new Float32Array(total),
  cover: new Float32Array(total),
})
