import type { TreeEnsemble } from '../ensemble.js'

/**
 * Writes an ensemble in XGBoost 0.7's legacy binary layout (../shared/reference/
 * xgboost-legacy-binary-format.md), so tests can feed the parser models no trainer would make
 * (e.g. hostile depths). Nodes keep the ensemble's pre-order numbering, no deleted slots, no
 * attribute or metric sections. Iterative, so it can write trees of any depth.
 */
export const legacyBytesFromEnsemble = (m: TreeEnsemble): Uint8Array => {
  const text = new TextEncoder()
  const objective = text.encode(m.objective)
  const booster = text.encode('gbtree')
  const nodes = m.left.length
  const size = 136 + 8 + objective.length + 8 + booster.length + 160 + m.numTrees * 148 + nodes * 36
  const bytes = new Uint8Array(size + m.numTrees * 4)
  const v = new DataView(bytes.buffer)
  let at = 0
  const i32 = (x: number): void => {
    v.setInt32(at, x, true)
    at += 4
  }
  const name = (s: Uint8Array): void => {
    v.setUint32(at, s.length, true)
    bytes.set(s, at + 8)
    at += 8 + s.length
  }

  v.setFloat32(0, m.baseMargin, true)
  v.setUint32(4, m.numFeature, true)
  v.setInt32(8, m.numGroup > 1 ? m.numGroup : 0, true)
  at = 136
  name(objective)
  name(booster)
  const gbAt = at
  i32(m.numTrees)
  i32(1)
  i32(m.numFeature)
  v.setInt32(gbAt + 24, m.numGroup, true)
  at = gbAt + 160

  for (let t = 0; t < m.numTrees; t++) {
    const from = m.treeOffset[t] as number
    const n = (m.treeOffset[t + 1] as number) - from
    const paramAt = at
    v.setInt32(paramAt, 1, true)
    v.setInt32(paramAt + 4, n, true)
    v.setInt32(paramAt + 16, m.numFeature, true)
    const nodesAt = paramAt + 148
    const statsAt = nodesAt + n * 20
    v.setInt32(nodesAt, -1, true)
    for (let k = 0; k < n; k++) {
      const g = from + k
      const rec = nodesAt + k * 20
      const l = m.left[g] as number
      v.setFloat32(statsAt + k * 16 + 4, m.cover[g] as number, true)
      if (l === -1) {
        v.setInt32(rec + 4, -1, true)
        v.setInt32(rec + 8, -1, true)
        v.setFloat32(rec + 16, m.leafValue[g] as number, true)
        continue
      }
      const r = m.right[g] as number
      v.setInt32(rec + 4, l - from, true)
      v.setInt32(rec + 8, r - from, true)
      const sindex = ((m.feature[g] as number) | ((m.defaultLeft[g] as number) << 31)) >>> 0
      v.setUint32(rec + 12, sindex, true)
      v.setFloat32(rec + 16, m.threshold[g] as number, true)
      // Children name their parent; bit 31 marks the left child.
      v.setUint32(nodesAt + (l - from) * 20, (k | 0x80000000) >>> 0, true)
      v.setUint32(nodesAt + (r - from) * 20, k, true)
    }
    at = statsAt + n * 16
  }
  for (let t = 0; t < m.numTrees; t++) i32(m.treeGroup[t] as number)
  return bytes
}

/**
 * A "chain" tree of the given depth: every split's left child is a leaf and its right child the
 * next split, so `depth + 1` leaves hang off one long path. Built with typed arrays (no
 * recursion) because hostile depths run to the tens of thousands.
 */
export const chainEnsemble = (depth: number, numFeature = 3): TreeEnsemble => {
  const n = 2 * depth + 1
  const left = new Int32Array(n).fill(-1)
  const right = new Int32Array(n).fill(-1)
  const feature = new Int32Array(n)
  const threshold = new Float32Array(n)
  const defaultLeft = new Uint8Array(n)
  const leafValue = new Float32Array(n)
  const cover = new Float32Array(n)
  // Pre-order: split k sits at 2k, its leaf at 2k + 1, the next split at 2k + 2.
  for (let k = 0; k < depth; k++) {
    const s = 2 * k
    left[s] = s + 1
    right[s] = s + 2
    feature[s] = k % numFeature
    threshold[s] = k % 7
    defaultLeft[s] = k & 1
    cover[s] = depth - k + 1
    leafValue[s + 1] = Math.fround(((k % 5) - 2) / 8)
    cover[s + 1] = 1
  }
  leafValue[n - 1] = 0.5
  cover[n - 1] = 1
  return {
    objective: 'binary:logistic',
    numFeature,
    numGroup: 1,
    baseMargin: 0,
    numTrees: 1,
    treeOffset: Int32Array.from([0, n]),
    treeGroup: new Int32Array(1),
    treeDepth: Int32Array.from([depth]),
    left,
    right,
    feature,
    threshold,
    defaultLeft,
    leafValue,
    cover,
  }
}
