import { beforeAll, describe, expect, it } from 'vitest'
import { readGoldenModel } from '../../../test/golden/golden-format.js'
import {
  loadMlXgboost,
  type MlXgbClass,
  toRowArrays,
  trainMlXgboost,
} from '../../../test/golden/ml-xgboost-driver.js'
import { loadPima } from '../../../test/support/real-data.js'
import { isAppError } from '../../core/errors.js'
import { nodeCount, type TreeEnsemble } from './ensemble.js'
import { parseLegacyModel, parseLegacyModelDetails } from './legacy-binary-parser.js'
import { toXgbMatrix } from './missing.js'
import { bytesFromMlXgboostJson } from './ml-xgboost-json.js'

/** Byte offsets of the records of a legacy model, found by walking the layout independently. */
const layout = (bytes: Uint8Array) => {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const objLen = v.getUint32(136, true)
  const boosterAt = 144 + objLen
  const gbAt = boosterAt + 8 + v.getUint32(boosterAt, true)
  const numTrees = v.getInt32(gbAt, true)
  const trees: { at: number; numNodes: number; nodesAt: number }[] = []
  let at = gbAt + 160
  for (let t = 0; t < numTrees; t++) {
    const numNodes = v.getInt32(at + 4, true)
    trees.push({ at, numNodes, nodesAt: at + 148 })
    at += 148 + numNodes * 36
  }
  return { view: v, boosterAt, gbAt, trees, treeInfoAt: at }
}

const expectAppError = (f: () => unknown, code: string, message?: RegExp): void => {
  try {
    f()
  } catch (e) {
    expect(isAppError(e)).toBe(true)
    expect(e).toMatchObject({ code })
    if (message) expect((e as Error).message).toMatch(message)
    return
  }
  throw new Error(`expected AppError ${code}`)
}

/** Structural invariants every parsed ensemble must satisfy. */
const checkInvariants = (m: TreeEnsemble): void => {
  for (let t = 0; t < m.numTrees; t++) {
    const from = m.treeOffset[t] as number
    const to = m.treeOffset[t + 1] as number
    expect(to).toBeGreaterThan(from)
    for (let n = from; n < to; n++) {
      const l = m.left[n] as number
      if (l === -1) continue
      // Pre-order: left child right after its parent, right child later, both inside the tree.
      expect(l).toBe(n + 1)
      expect(m.right[n] as number).toBeGreaterThan(l)
      expect(m.right[n] as number).toBeLessThan(to)
      expect(m.feature[n] as number).toBeLessThan(m.numFeature)
    }
  }
}

describe('parseLegacyModel on ml-xgboost bytes', () => {
  it('reads the header and every live node of the heart model', () => {
    const bytes = readGoldenModel('heart')
    const m = parseLegacyModel(bytes)
    const { trees } = layout(bytes)
    expect(m.objective).toBe('binary:logistic')
    expect(m.numFeature).toBe(14)
    expect(m.numGroup).toBe(1)
    expect(Object.is(m.baseMargin, -0)).toBe(true)
    expect(m.numTrees).toBe(100)
    expect(nodeCount(m)).toBe(trees.reduce((s, t) => s + t.numNodes, 0))
    expect(Math.max(...m.treeDepth)).toBe(4)
    // First tree's root cover = rows * p(1-p) at p = 0.5.
    expect(m.cover[0]).toBe(920 * 0.25)
    checkInvariants(m)
  })

  it('drops deleted nodes of pruned trees and keeps pruned leaves as leaves', () => {
    const bytes = readGoldenModel('pima-pruned')
    const m = parseLegacyModel(bytes)
    const { trees, view } = layout(bytes)
    let deleted = 0
    let total = 0
    let staleLeaves = 0
    for (const t of trees) {
      deleted += view.getInt32(t.at + 8, true)
      total += t.numNodes
      for (let i = 0; i < t.numNodes; i++) {
        const at = t.nodesAt + i * 20
        const sindex = view.getUint32(at + 12, true)
        if (view.getInt32(at + 4, true) === -1 && sindex !== 0xffffffff && sindex !== 0)
          staleLeaves++
      }
    }
    expect(deleted).toBeGreaterThan(1000)
    expect(staleLeaves).toBeGreaterThan(0)
    expect(nodeCount(m)).toBe(total - deleted)
    expect(m.baseMargin).toBe(Math.fround(Math.log(0.3 / 0.7)))
    checkInvariants(m)
  })

  it('accepts the optional "binf" magic', () => {
    const bytes = readGoldenModel('heart')
    const withMagic = new Uint8Array(bytes.length + 4)
    withMagic.set([0x62, 0x69, 0x6e, 0x66])
    withMagic.set(bytes, 4)
    expect(parseLegacyModel(withMagic)).toEqual(parseLegacyModel(bytes))
  })

  it("accepts the 0.7 reader's old objective-length variant", () => {
    const bytes = readGoldenModel('heart')
    const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(136, true)
    const old = new Uint8Array(bytes.length + 4)
    old.set(bytes.subarray(0, 136))
    const v = new DataView(old.buffer)
    v.setUint32(136, 0xffffffff, true)
    v.setUint32(140, n, true)
    old.set(bytes.subarray(144), 148)
    expect(parseLegacyModel(old)).toEqual(parseLegacyModel(bytes))
  })

  it('reads multi-class models: groups and tree_info', () => {
    const m = parseLegacyModel(readGoldenModel('heart-multi'))
    expect(m.objective).toBe('multi:softprob')
    expect(m.numGroup).toBe(5)
    expect(Array.from(m.treeGroup.subarray(0, 10))).toEqual([0, 1, 2, 3, 4, 0, 1, 2, 3, 4])
  })
})

describe('parseLegacyModel on models trained live', () => {
  let XGBoost: MlXgbClass
  let rows: number[][]
  let label: number[]
  beforeAll(async () => {
    XGBoost = await loadMlXgboost()
    const pima = loadPima()
    rows = toRowArrays(toXgbMatrix(pima.rows, pima.columns.length), pima.columns.length)
    label = pima.label
  })
  const train = (params: Record<string, string | number>) =>
    bytesFromMlXgboostJson(trainMlXgboost(XGBoost, rows, label, { iterations: 5, ...params }))

  it('reads eval metrics and the Poisson max_delta_step', () => {
    expect(parseLegacyModelDetails(train({ eval_metric: 'auc' })).evalMetrics).toEqual(['auc'])
    const poisson = parseLegacyModelDetails(train({ objective: 'count:poisson' }))
    expect(poisson.maxDeltaStep).toBe(0.7)
    expect(poisson.ensemble.baseMargin).toBe(Math.fround(Math.log(0.5)))
  })

  it('rejects DART and gblinear as UNSUPPORTED', () => {
    expectAppError(() => parseLegacyModel(train({ booster: 'dart' })), 'UNSUPPORTED', /DART/)
    expectAppError(
      () => parseLegacyModel(train({ booster: 'gblinear' })),
      'UNSUPPORTED',
      /gblinear/,
    )
  })
})

describe('parseLegacyModel on corrupt bytes', () => {
  const heart = readGoldenModel('heart')
  const mutate = (f: (v: DataView, l: ReturnType<typeof layout>) => void): Uint8Array => {
    const copy = heart.slice()
    f(new DataView(copy.buffer), layout(copy))
    return copy
  }
  const tree0 = (l: ReturnType<typeof layout>) => l.trees[0] ?? { at: 0, nodesAt: 0, numNodes: 0 }

  it('rejects every truncation with CORRUPT_MODEL naming a byte offset', () => {
    for (let n = 0; n < heart.length; n += 997) {
      expectAppError(() => parseLegacyModel(heart.subarray(0, n)), 'CORRUPT_MODEL', /at byte \d+/)
    }
    expectAppError(() => parseLegacyModel(heart.subarray(0, heart.length - 1)), 'CORRUPT_MODEL')
  })

  it('rejects trailing bytes', () => {
    const longer = new Uint8Array(heart.length + 3)
    longer.set(heart)
    expectAppError(() => parseLegacyModel(longer), 'CORRUPT_MODEL', /trailing/)
  })

  it('rejects huge lengths and counts before allocating', () => {
    const hugeName = mutate((v) => v.setUint32(136, 1e9, true))
    expectAppError(() => parseLegacyModel(hugeName), 'CORRUPT_MODEL', /objective name/)
    const hugeOldName = mutate((v) => v.setUint32(140, 0x7fffffff, true))
    expectAppError(() => parseLegacyModel(hugeOldName), 'CORRUPT_MODEL', /objective name/)
    const hugeTrees = mutate((v, l) => v.setInt32(l.gbAt, 0x7fffffff, true))
    expectAppError(() => parseLegacyModel(hugeTrees), 'CORRUPT_MODEL', /num_trees/)
    const hugeNodes = mutate((v, l) => v.setInt32(tree0(l).at + 4, 1e8, true))
    expectAppError(() => parseLegacyModel(hugeNodes), 'CORRUPT_MODEL', /num_nodes/)
  })

  it('rejects cycles and nodes reached twice', () => {
    // Node 3's left child points back at node 1, its ancestor.
    const cycle = mutate((v, l) => v.setInt32(tree0(l).nodesAt + 3 * 20 + 4, 1, true))
    expectAppError(() => parseLegacyModel(cycle), 'CORRUPT_MODEL', /reached twice/)
    // Both children of the root are node 1.
    const shared = mutate((v, l) => v.setInt32(tree0(l).nodesAt + 8, 1, true))
    expectAppError(() => parseLegacyModel(shared), 'CORRUPT_MODEL', /reached twice/)
  })

  it('rejects out-of-range children, features, groups and deleted counts', () => {
    const child = mutate((v, l) => v.setInt32(tree0(l).nodesAt + 4, 1e6, true))
    expectAppError(() => parseLegacyModel(child), 'CORRUPT_MODEL', /child id/)
    const feature = mutate((v, l) => v.setUint32(tree0(l).nodesAt + 12, 0x80000000 | 99, true))
    expectAppError(() => parseLegacyModel(feature), 'CORRUPT_MODEL', /feature 99/)
    const group = mutate((v, l) => v.setInt32(l.treeInfoAt, 1, true))
    expectAppError(() => parseLegacyModel(group), 'CORRUPT_MODEL', /tree_info/)
    const deleted = mutate((v, l) => v.setInt32(tree0(l).at + 8, 2, true))
    expectAppError(() => parseLegacyModel(deleted), 'CORRUPT_MODEL', /deleted/)
    const nan = mutate((v, l) => v.setFloat32(tree0(l).nodesAt + 16, Number.NaN, true))
    expectAppError(() => parseLegacyModel(nan), 'CORRUPT_MODEL', /not finite/)
  })

  it('rejects an unknown booster and a newer-format model', () => {
    const booster = mutate((v, l) => v.setUint8(l.boosterAt + 8, 0x78))
    expectAppError(() => parseLegacyModel(booster), 'CORRUPT_MODEL', /booster/)
    const newer = mutate((v) => v.setInt32(20, 1, true))
    expectAppError(() => parseLegacyModel(newer), 'UNSUPPORTED', /XGBoost 1/)
  })
})
