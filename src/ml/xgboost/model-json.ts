import type { TreeEnsemble } from './ensemble.js'
import {
  float32Text,
  float32TextXgb,
  rawJsonNumber,
  stringifyWithRawNumbers,
} from './float32-text.js'
import { linkOf } from './link.js'

/**
 * Writes a {@link TreeEnsemble} as an XGBoost 1.7 JSON model (the schema `Booster.save_model`
 * writes to a `.json` file), so native XGBoost >= 1.7 can load a model ml-xgboost trained.
 *
 * Traps handled:
 * - `learner_model_param.base_score` is in PROBABILITY space (1.7 applies `ProbToMargin` on
 *   load) and must be a short float string such as `"5E-1"`; a 17-digit string is silently
 *   ignored. The exact float32 margin is also kept in the learner attribute
 *   {@link BASE_MARGIN_ATTRIBUTE} so {@link readModelJson} restores it bit for bit.
 * - `reg:linear` is written as its 1.x name `reg:squarederror`.
 * - The ensemble does not carry per-node `base_weights` or `loss_changes`: leaves get their leaf
 *   value as base weight, internal nodes 0; loss changes are 0. Prediction and TreeSHAP use
 *   neither.
 *
 * MISSING VALUES: Ward's models were trained by ml-xgboost, where a cell equal to -1 is
 * missing and a real -1 is fed as the float32 just below -1 (`toXgbValue` in missing.ts). The
 * JSON cannot record that convention. To reproduce Ward's predictions natively, either map rows
 * with `toXgbValue` and build `DMatrix(X, missing=-1)`, or pass missing cells as NaN (the
 * native default) and real -1 as -1.0000001 (float32 -1 - 2^-23).
 *
 * Margins: native 1.7 sums `((base + t0) + t1) + ...` while 0.7 sums the trees first, so
 * native margins may differ from Ward's in the last float32 bits when the base margin is not 0.
 */
export const BASE_MARGIN_ATTRIBUTE = 'ward_base_margin'
/** Learner attribute keeping the objective's 0.7 name (`reg:linear`) for an exact round trip. */
export const OBJECTIVE_ATTRIBUTE = 'ward_objective'

/** XGBoost's JSON reader wants float arrays as JSON reals: always write the `E` form. */
const rawFloat32 = (v: number): string => rawJsonNumber(float32TextXgb(v))

/** 1.x names of the objectives whose 0.7 name changed. */
const OBJECTIVE_1X: Readonly<Record<string, string>> = { 'reg:linear': 'reg:squarederror' }

/**
 * The base score in probability space, as 1.7 stores it: the inverse of the objective's
 * `ProbToMargin` (logit for the logistic family, including `binary:logitraw`; log for Poisson).
 */
const baseScoreOf = (m: TreeEnsemble): number => {
  linkOf(m.objective) // rejects objectives we cannot predict with
  if (LOGIT_BASE.has(m.objective)) return Math.fround(1 / (1 + Math.exp(-m.baseMargin)))
  if (m.objective === 'count:poisson') return Math.fround(Math.exp(m.baseMargin))
  return m.baseMargin
}

/** Objectives whose `ProbToMargin` is the logit (shared with the reader). */
export const LOGIT_BASE = new Set(['binary:logistic', 'reg:logistic', 'binary:logitraw'])

const objectiveJson = (name: string, numGroup: number, maxDeltaStep: number): object => {
  if (name.startsWith('multi:'))
    return { name, softmax_multiclass_param: { num_class: String(numGroup) } }
  if (name === 'count:poisson') {
    return { name, poisson_regression_param: { max_delta_step: float32Text(maxDeltaStep) } }
  }
  return { name, reg_loss_param: { scale_pos_weight: '1' } }
}

/**
 * Breadth-first numbering of one tree: siblings get adjacent ids (right = left + 1), which
 * XGBoost 1.7's predictor relies on (it computes the next node as `left + !(x < split)`).
 * Returns the nodes' global ids in local order.
 */
const siblingAdjacentOrder = (m: TreeEnsemble, t: number): Int32Array => {
  const from = m.treeOffset[t] as number
  const order = new Int32Array((m.treeOffset[t + 1] as number) - from)
  order[0] = from
  let next = 1
  for (let i = 0; i < next; i++) {
    const g = order[i] as number
    const l = m.left[g] as number
    if (l === -1) continue
    order[next++] = l
    order[next++] = m.right[g] as number
  }
  return order
}

const treeJson = (m: TreeEnsemble, t: number, id: number): object => {
  const order = siblingAdjacentOrder(m, t)
  const n = order.length
  // Global ids of a tree are contiguous from treeOffset[t]: map them through a small array.
  const from = m.treeOffset[t] as number
  const localOf = new Int32Array(n)
  order.forEach((g, i) => {
    localOf[g - from] = i
  })
  const local = (g: number): number => (g === -1 ? -1 : (localOf[g - from] as number))
  const leftChildren: number[] = []
  const rightChildren: number[] = []
  const parents: number[] = new Array<number>(n).fill(2147483647)
  const splitIndices: number[] = []
  const splitConditions: string[] = []
  const defaultLeft: number[] = []
  const baseWeights: string[] = []
  const sumHessian: string[] = []
  for (let i = 0; i < n; i++) {
    const g = order[i] as number
    const l = m.left[g] as number
    const leaf = l === -1
    leftChildren.push(local(l))
    rightChildren.push(local(m.right[g] as number))
    if (!leaf) {
      parents[local(l)] = i
      parents[local(m.right[g] as number)] = i
    }
    splitIndices.push(leaf ? 0 : (m.feature[g] as number))
    splitConditions.push(rawFloat32(leaf ? (m.leafValue[g] as number) : (m.threshold[g] as number)))
    defaultLeft.push(leaf ? 0 : (m.defaultLeft[g] as number))
    baseWeights.push(rawFloat32(leaf ? (m.leafValue[g] as number) : 0))
    sumHessian.push(rawFloat32(m.cover[g] as number))
  }
  return {
    base_weights: baseWeights,
    categories: [],
    categories_nodes: [],
    categories_segments: [],
    categories_sizes: [],
    default_left: defaultLeft,
    id,
    left_children: leftChildren,
    loss_changes: new Array<string>(n).fill(rawFloat32(0)),
    parents,
    right_children: rightChildren,
    split_conditions: splitConditions,
    split_indices: splitIndices,
    split_type: new Array<number>(n).fill(0),
    sum_hessian: sumHessian,
    tree_param: {
      num_deleted: '0',
      num_feature: String(m.numFeature),
      num_nodes: String(n),
      size_leaf_vector: '0',
    },
  }
}

/** Options for {@link writeModelJson}. */
export interface ModelJsonOptions {
  /** Column names, written as `feature_names` (with `feature_types` "float"). */
  readonly featureNames?: readonly string[]
  /** `count:poisson` only (ml-xgboost's default is 0.7). */
  readonly maxDeltaStep?: number
}

/** Serialises the ensemble as XGBoost 1.7 JSON text. */
export const writeModelJson = (m: TreeEnsemble, options: ModelJsonOptions = {}): string => {
  const names = options.featureNames ?? []
  const trees = Array.from({ length: m.numTrees }, (_, t) => treeJson(m, t, t))
  const model = {
    learner: {
      attributes: {
        [BASE_MARGIN_ATTRIBUTE]: float32Text(m.baseMargin),
        [OBJECTIVE_ATTRIBUTE]: m.objective,
      },
      feature_names: names,
      feature_types: names.map(() => 'float'),
      gradient_booster: {
        model: {
          gbtree_model_param: {
            num_parallel_tree: '1',
            num_trees: String(m.numTrees),
            size_leaf_vector: '0',
          },
          tree_info: Array.from(m.treeGroup),
          trees,
        },
        name: 'gbtree',
      },
      learner_model_param: {
        base_score: float32TextXgb(baseScoreOf(m)),
        boost_from_average: '0',
        num_class: String(m.numGroup > 1 ? m.numGroup : 0),
        num_feature: String(m.numFeature),
        num_target: '1',
      },
      objective: objectiveJson(
        OBJECTIVE_1X[m.objective] ?? m.objective,
        m.numGroup,
        options.maxDeltaStep ?? 0.7,
      ),
    },
    version: [1, 7, 4],
  }
  return stringifyWithRawNumbers(model)
}
