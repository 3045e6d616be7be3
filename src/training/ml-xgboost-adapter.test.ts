import { describe, expect, it } from 'vitest'
import { AppError } from '../core/errors.js'
import { predictWithMlXgboost, trainBooster } from './ml-xgboost-adapter.js'

const lcg = (seed: number) => {
  let s = seed
  return () => {
    s = (s * 16_807) % 2_147_483_647
    return s / 2_147_483_647
  }
}

/** rows × cols uniform cells in [0, 1); the label rule gets each row's cells. */
const synthetic = (rows: number, cols: number, label: (x: Float32Array) => number, seed = 1) => {
  const rnd = lcg(seed)
  const matrix = new Float32Array(rows * cols)
  const labels = new Float32Array(rows)
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) matrix[r * cols + c] = rnd()
    labels[r] = label(matrix.subarray(r * cols, (r + 1) * cols))
  }
  return { matrix, labels, rows, cols }
}

const sumRule = (x: Float32Array) => ((x[0] as number) + (x[1] as number) > 1 ? 1 : 0)

/** Reads the few legacy-format header fields the tests need (layout: shared/reference). */
const header = (bytes: Uint8Array) => {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const text = (at: number) => {
    const n = Number(v.getBigUint64(at, true))
    return {
      s: Buffer.from(bytes.subarray(at + 8, at + 8 + n)).toString('latin1'),
      end: at + 8 + n,
    }
  }
  const objective = text(136)
  const booster = text(objective.end)
  const gbtree = booster.end
  return {
    numFeature: v.getUint32(4, true),
    numClass: v.getInt32(8, true),
    objective: objective.s,
    booster: booster.s,
    numTrees: v.getInt32(gbtree, true),
    firstTreeNodes: v.getInt32(gbtree + 160 + 4, true),
  }
}

const accuracy = (pred: Float32Array, labels: Float32Array) =>
  labels.reduce((n, y, i) => n + (((pred[i] as number) > 0.5 ? 1 : 0) === y ? 1 : 0), 0) /
  labels.length

describe('trainBooster', () => {
  it('trains binary:logistic and returns legacy model bytes that predict the rule', async () => {
    const data = synthetic(2000, 4, sumRule)
    const { modelBytes } = await trainBooster({ ...data, params: { max_depth: 3 }, numRounds: 15 })
    expect(header(modelBytes)).toMatchObject({
      numFeature: 4,
      numClass: 0,
      objective: 'binary:logistic',
      booster: 'gbtree',
      numTrees: 15,
    })
    const { values, width } = await predictWithMlXgboost(modelBytes, data.matrix, 2000, 4)
    expect(width).toBe(1)
    expect(accuracy(values, data.labels)).toBeGreaterThan(0.95)
  })

  it('passes our parameters to XGBoost (max_depth 1 gives stumps of 3 nodes)', async () => {
    const data = synthetic(500, 3, sumRule)
    const stump = await trainBooster({ ...data, params: { max_depth: 1 }, numRounds: 2 })
    const deep = await trainBooster({ ...data, params: { max_depth: 4 }, numRounds: 2 })
    expect(header(stump.modelBytes).firstTreeNodes).toBe(3)
    expect(header(deep.modelBytes).firstTreeNodes).toBeGreaterThan(3)
  })

  it('is deterministic with our defaults (subsample 1, fixed seed)', async () => {
    const data = synthetic(800, 3, sumRule)
    const a = await trainBooster({ ...data, numRounds: 5 })
    const b = await trainBooster({ ...data, numRounds: 5 })
    expect(Buffer.from(a.modelBytes).equals(Buffer.from(b.modelBytes))).toBe(true)
  })

  it('trains reg:linear', async () => {
    const data = synthetic(1500, 2, (x) => 3 * (x[0] as number))
    const { modelBytes } = await trainBooster({
      ...data,
      params: { objective: 'reg:linear', eta: 0.3 },
      numRounds: 30,
    })
    expect(header(modelBytes).objective).toBe('reg:linear')
    const { values } = await predictWithMlXgboost(modelBytes, data.matrix, 1500, 2)
    const mae = data.labels.reduce((s, y, i) => s + Math.abs(y - (values[i] as number)), 0) / 1500
    expect(mae).toBeLessThan(0.1)
  })

  it('trains multi:softprob with num_class outputs that sum to 1', async () => {
    const data = synthetic(1500, 3, (x) => Math.min(2, Math.floor((x[0] as number) * 3)))
    const { modelBytes } = await trainBooster({
      ...data,
      params: { objective: 'multi:softprob', num_class: 3, max_depth: 2 },
      numRounds: 10,
    })
    const h = header(modelBytes)
    expect(h).toMatchObject({ objective: 'multi:softprob', numClass: 3, numTrees: 30 })
    const { values, width } = await predictWithMlXgboost(modelBytes, data.matrix, 1500, 3)
    expect(width).toBe(3)
    let correct = 0
    for (let r = 0; r < 1500; r++) {
      const p = Array.from(values.subarray(r * 3, r * 3 + 3))
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5)
      if (p.indexOf(Math.max(...p)) === data.labels[r]) correct++
    }
    expect(correct / 1500).toBeGreaterThan(0.95)
  })

  it('trains 100,000 rows × 50 features (5 M cells, far above the 5 MB stack)', async () => {
    const data = synthetic(100_000, 50, sumRule, 7)
    const { modelBytes } = await trainBooster({
      ...data,
      params: { tree_method: 'hist', max_depth: 3 },
      numRounds: 2,
    })
    expect(header(modelBytes)).toMatchObject({ numFeature: 50, numTrees: 2 })
    const probe = data.matrix.subarray(0, 200 * 50)
    const { values } = await predictWithMlXgboost(modelBytes, probe, 200, 50)
    expect(accuracy(values, data.labels.subarray(0, 200))).toBeGreaterThan(0.7)
  })

  it('refuses bad input with an AppError before touching the WASM', async () => {
    const data = synthetic(50, 2, sumRule)
    const bad = data.matrix.slice()
    bad[7] = Number.NaN
    await expect(trainBooster({ ...data, matrix: bad, numRounds: 1 })).rejects.toMatchObject({
      code: 'VALIDATION',
      field: 'matrix',
      message: expect.stringContaining('row 3, column 1 is NaN'),
    })
    await expect(
      trainBooster({ ...data, params: { booster: 'dart' } as never, numRounds: 1 }),
    ).rejects.toBeInstanceOf(AppError)
    await expect(trainBooster({ ...data, numRounds: 0 })).rejects.toMatchObject({
      field: 'numRounds',
    })
    await expect(
      predictWithMlXgboost(new Uint8Array(40), new Float32Array(2), 1, 2),
    ).rejects.toMatchObject({ code: 'CORRUPT_MODEL' })
    // The module still works afterwards: nothing reached it.
    await expect(trainBooster({ ...data, numRounds: 1 })).resolves.toHaveProperty('modelBytes')
  })
})
