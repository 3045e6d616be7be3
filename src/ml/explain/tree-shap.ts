import type { TreeEnsemble } from '../xgboost/ensemble.js'
import { MISSING } from '../xgboost/missing.js'
import { coverFractions, expectedMargins } from './cover-fractions.js'
import { checkExplainable } from './model-checks.js'
import { makeExplainer, type ShapExplainer } from './shap-explainer.js'

/**
 * Exact path-dependent TreeSHAP, Algorithm 2 of Lundberg, Erion & Lee, "Consistent
 * individualized feature attribution for tree ensembles" (arXiv 1802.03888).
 *
 * One walk per tree and row keeps the path of unique features from the root, each with its
 * zero fraction z (share of cover following this branch), one fraction o (1 when the row goes
 * this way) and the weights w[k] of all subsets of size k of the path's features (EXTEND).
 * At a leaf, un-doing one feature (UNWIND) and summing the weights gives that feature's
 * Shapley weight, so each leaf costs O(depth²). A feature seen again deeper on the path is
 * unwound first and re-extended with the product of both fractions.
 *
 * Missing values (`-1` after `toXgbValue`) follow `defaultLeft`, exactly as the predictor.
 * Cover fractions come from {@link coverFractions} (zero-cover parents split evenly). A branch
 * whose zero and one fractions are both 0 is skipped: every subset then gives its leaves
 * probability 0, so it contributes nothing, and skipping avoids the 0/0 in UNWIND.
 */
export const createTreeShap = (model: TreeEnsemble): ShapExplainer => {
  checkExplainable(model)
  const frac = coverFractions(model)
  const { left, right, feature, threshold, defaultLeft, leafValue, treeOffset, treeGroup } = model
  let maxDepth = 0
  for (const d of model.treeDepth) maxDepth = Math.max(maxDepth, d)
  // Path segments of successive levels are stacked: level k holds at most k + 1 elements.
  const size = ((maxDepth + 2) * (maxDepth + 3)) / 2
  const pFeat = new Int32Array(size)
  const pZero = new Float64Array(size)
  const pOne = new Float64Array(size)
  const pW = new Float64Array(size)

  // Per-call state, set by the kernel before each tree walk (avoids passing it down).
  let x: Float32Array = new Float32Array(0)
  let xOff = 0
  let phi: Float64Array = new Float64Array(0)
  let phiOff = 0

  // Ratios by path length l (row l·S), as multiplications instead of divisions in the inner
  // loops: EXTEND's grow = (j+1)/(l+1), stay = (l-j)/(l+1); for unwoundSum up = (l+1)/(j+1),
  // back = (l-j)/(j+1) and, for a cold element, cold = (l+1)/(l-j).
  const S = maxDepth + 2
  const grow = new Float64Array(S * S)
  const stay = new Float64Array(S * S)
  const up = new Float64Array(S * S)
  const back = new Float64Array(S * S)
  const cold = new Float64Array(S * S)
  for (let l = 0; l < S; l++) {
    for (let j = 0; j < l; j++) {
      grow[l * S + j] = (j + 1) / (l + 1)
      stay[l * S + j] = (l - j) / (l + 1)
      up[l * S + j] = (l + 1) / (j + 1)
      back[l * S + j] = (l - j) / (j + 1)
      cold[l * S + j] = (l + 1) / (l - j)
    }
  }

  /**
   * EXTEND, fused with the copy of the parent's path: writes at `base` the parent's path of
   * `len` elements (at `parentBase`) with (fi, zf, of) appended, the subset weights updated as
   * w'[i+1] += o·w[i]·(i+1)/(len+1), w'[i] = z·w[i]·(len-i)/(len+1).
   */
  const extendFrom = (
    base: number,
    parentBase: number,
    len: number,
    zf: number,
    of: number,
    fi: number,
  ): void => {
    pFeat[base + len] = fi
    pZero[base + len] = zf
    pOne[base + len] = of
    pW[base + len] = len === 0 ? 1 : 0
    const row = len * S
    for (let i = len - 1; i >= 0; i--) {
      pFeat[base + i] = pFeat[parentBase + i] as number
      pZero[base + i] = pZero[parentBase + i] as number
      pOne[base + i] = pOne[parentBase + i] as number
      const w = pW[parentBase + i] as number
      pW[base + i + 1] = (pW[base + i + 1] as number) + of * w * (grow[row + i] as number)
      pW[base + i] = zf * w * (stay[row + i] as number)
    }
  }

  /** UNWIND: removes element k from the path of `len` elements, in place. */
  const unwind = (base: number, len: number, k: number): void => {
    const l = len - 1
    const of = pOne[base + k] as number
    const zf = pZero[base + k] as number
    let next = pW[base + l] as number
    for (let j = l - 1; j >= 0; j--) {
      if (of !== 0) {
        const t = pW[base + j] as number
        const w = (next * (l + 1)) / ((j + 1) * of)
        pW[base + j] = w
        next = t - (w * zf * (l - j)) / (l + 1)
      } else {
        pW[base + j] = ((pW[base + j] as number) * (l + 1)) / (zf * (l - j))
      }
    }
    for (let j = k; j < l; j++) {
      pFeat[base + j] = pFeat[base + j + 1] as number
      pZero[base + j] = pZero[base + j + 1] as number
      pOne[base + j] = pOne[base + j + 1] as number
    }
  }

  /**
   * Sum of the weights UNWIND(k) would leave for a hot element k (one fraction 1), without
   * changing the path. One fractions are 0 or 1 here (a row is a point: it follows a branch or
   * not), so UNWIND's w_j = n·(l+1)/(j+1), n ← w[j] − w_j·z·(l−j)/(l+1) becomes
   * w_j = n·up, n ← w[j] − n·z·back.
   */
  const hotUnwoundSum = (base: number, len: number, k: number): number => {
    const l = len - 1
    const row = l * S
    const zf = pZero[base + k] as number
    let next = pW[base + l] as number
    let total = 0
    for (let j = l - 1; j >= 0; j--) {
      total += next * (up[row + j] as number)
      next = (pW[base + j] as number) - next * (zf * (back[row + j] as number))
    }
    return total
  }

  /**
   * For a cold element k (one fraction 0), UNWIND gives w_j = w[j]·(l+1)/(z_k·(l−j)): the sum
   * is this value over z_k, the same for every cold element, and the contribution
   * sum·(0 − z_k)·v is −value·v with no division.
   */
  const coldUnwoundSumTimesZero = (base: number, len: number): number => {
    const l = len - 1
    const row = l * S
    let total = 0
    for (let j = l - 1; j >= 0; j--) total += (pW[base + j] as number) * (cold[row + j] as number)
    return total
  }

  const recurse = (
    n: number,
    base: number,
    parentBase: number,
    parentLen: number,
    zf: number,
    of: number,
    fi: number,
  ): void => {
    extendFrom(base, parentBase, parentLen, zf, of, fi)
    let len = parentLen + 1
    const l = left[n] as number
    if (l === -1) {
      const v = leafValue[n] as number
      const coldValue = -coldUnwoundSumTimesZero(base, len) * v
      for (let i = 1; i < len; i++) {
        const at = phiOff + (pFeat[base + i] as number)
        const add =
          (pOne[base + i] as number) !== 0
            ? hotUnwoundSum(base, len, i) * (1 - (pZero[base + i] as number)) * v
            : coldValue
        phi[at] = (phi[at] as number) + add
      }
      return
    }
    const r = right[n] as number
    const f = feature[n] as number
    const xv = x[xOff + f] as number
    const goLeft = xv === MISSING ? defaultLeft[n] === 1 : xv < (threshold[n] as number)
    const hot = goLeft ? l : r
    const cold = goLeft ? r : l
    let iz = 1
    let io = 1
    for (let k = 1; k < len; k++) {
      if (pFeat[base + k] === f) {
        iz = pZero[base + k] as number
        io = pOne[base + k] as number
        unwind(base, len, k)
        len -= 1
        break
      }
    }
    const hz = iz * (frac[hot] as number)
    const cz = iz * (frac[cold] as number)
    if (hz !== 0 || io !== 0) recurse(hot, base + len, base, len, hz, io, f)
    if (cz !== 0) recurse(cold, base + len, base, len, cz, 0, f)
  }

  const numFeature = model.numFeature
  return makeExplainer({
    algorithm: 'tree-shap',
    numFeature,
    numGroup: model.numGroup,
    expectedValue: expectedMargins(model, frac),
    tableBytes: 0,
    kernel: (rows, rowStart, rowEnd, out) => {
      x = rows
      phi = out
      const rowWidth = model.numGroup * (numFeature + 1)
      // Trees outermost: one tree's nodes stay in cache while every row of the batch walks it.
      for (let t = 0; t < model.numTrees; t++) {
        const groupOff = (treeGroup[t] as number) * (numFeature + 1)
        const root = treeOffset[t] as number
        for (let r = rowStart; r < rowEnd; r++) {
          xOff = r * numFeature
          phiOff = r * rowWidth + groupOff
          recurse(root, 0, 0, 0, 1, 1, -1)
        }
      }
    },
  })
}
