import { beforeAll, describe, expect, it } from 'vitest'
import {
  type GoldenInputs,
  type GoldenMlXgb,
  type GoldenNative,
  goldenMatrix,
  readGoldenJson,
  readGoldenModel,
} from '../../../test/golden/golden-format.js'
import {
  loadMlXgboost,
  type MlXgbClass,
  mlXgboostMargins,
  mlXgboostPredict,
  toRowArrays,
  trainMlXgboost,
} from '../../../test/golden/ml-xgboost-driver.js'
import { loadHeart, type RealDataset } from '../../../test/support/real-data.js'
import { parseLegacyModel } from './legacy-binary-parser.js'
import { linkOf } from './link.js'
import { BELOW_MINUS_ONE, toXgbMatrix } from './missing.js'
import { bytesFromMlXgboostJson } from './ml-xgboost-json.js'
import { applyLinkInPlace, predict, predictMargins, predictRowMargins } from './predict.js'

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length)
  let d = 0
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)))
  return d
}

/** Golden JSON numbers are shortest float32 text: read them back as float32. */
const f32 = (v: readonly number[]): Float32Array => Float32Array.from(v)

describe('predictor vs ml-xgboost, trained live on heart data', () => {
  let XGBoost: MlXgbClass
  let heart: RealDataset
  let x: Float32Array
  let rows: number[][]
  beforeAll(async () => {
    XGBoost = await loadMlXgboost()
    heart = loadHeart()
    x = toXgbMatrix(heart.rows, heart.columns.length)
    rows = toRowArrays(x, heart.columns.length)
  })

  it('has real -1 values and missing values in the input', () => {
    expect(x.includes(BELOW_MINUS_ONE)).toBe(true)
    expect(x.includes(-1)).toBe(true)
  })

  it.each([
    ['binary:logistic', {}],
    ['binary:logistic, gamma 2, base_score 0.3', { gamma: 2, max_depth: 6, base_score: 0.3 }],
  ])('%s: margins bit-identical, probabilities within 2e-7', (_name, params) => {
    const json = trainMlXgboost(XGBoost, rows, heart.label, { iterations: 30, ...params })
    const model = parseLegacyModel(bytesFromMlXgboostJson(json))
    const margins = predictMargins(model, x, rows.length)
    expect(Array.from(margins)).toEqual(Array.from(f32(mlXgboostMargins(XGBoost, json, rows))))
    const probs = predict(model, x, rows.length)
    expect(maxAbsDiff(probs, mlXgboostPredict(XGBoost, json, rows))).toBeLessThanOrEqual(2e-7)
  })

  it.each([
    ['reg:linear', {}, 0],
    ['count:poisson', {}, 2e-7],
    ['multi:softprob', { num_class: 5 }, 6e-8],
    ['multi:softmax', { num_class: 5 }, 0],
  ])('%s matches ml-xgboost predictions', (objective, params, tolerance) => {
    const label = objective.startsWith('multi:') ? (heart.classes ?? []) : heart.label
    const json = trainMlXgboost(XGBoost, rows, label, { iterations: 10, objective, ...params })
    const model = parseLegacyModel(bytesFromMlXgboostJson(json))
    const theirs = mlXgboostPredict(XGBoost, json, rows)
    expect(maxAbsDiff(predict(model, x, rows.length), theirs)).toBeLessThanOrEqual(tolerance)
  })

  it('single-row margins equal batch margins', () => {
    const json = trainMlXgboost(XGBoost, rows, heart.classes ?? [], {
      iterations: 5,
      objective: 'multi:softprob',
      num_class: 5,
    })
    const model = parseLegacyModel(bytesFromMlXgboostJson(json))
    const batch = predictMargins(model, x, rows.length)
    const out = new Float32Array(model.numGroup)
    for (let r = 0; r < rows.length; r += 37) {
      predictRowMargins(model, x, r * model.numFeature, out)
      expect(Array.from(out)).toEqual(Array.from(batch.subarray(r * 5, r * 5 + 5)))
    }
  })
})

describe('predictor vs golden files (ml-xgboost and native XGBoost 1.7.4)', () => {
  it.each(['heart', 'pima-pruned', 'diabetic', 'cleveland-shap-bench', 'heart-multi'])(
    '%s',
    (name) => {
      const inputs = readGoldenJson<GoldenInputs>(name, 'inputs.json')
      const mlxgb = readGoldenJson<GoldenMlXgb>(name, 'mlxgb-predictions.json')
      const native = readGoldenJson<GoldenNative>(name, 'native.json')
      const model = parseLegacyModel(readGoldenModel(name))
      const x = goldenMatrix(inputs)
      const n = inputs.rows.length
      const margins = predictMargins(model, x, n)
      if (mlxgb.margins !== null)
        expect(Array.from(margins)).toEqual(Array.from(f32(mlxgb.margins)))
      const preds = predict(model, x, n)
      expect(maxAbsDiff(preds, mlxgb.predictions)).toBeLessThanOrEqual(2e-7)
      expect(maxAbsDiff(preds, native.predictions)).toBeLessThanOrEqual(5e-7)
      // Native 1.7 adds the base first; with a base margin of 0 the orders agree bit for bit.
      if (model.baseMargin === 0)
        expect(Array.from(margins)).toEqual(Array.from(f32(native.margins)))
      else expect(maxAbsDiff(margins, native.margins)).toBeLessThanOrEqual(1e-5)
    },
  )

  it('heart-multi softmax follows 0.7 (float exps, double sum): mostly bit-identical to ml-xgboost', () => {
    const inputs = readGoldenJson<GoldenInputs>('heart-multi', 'inputs.json')
    const mlxgb = readGoldenJson<GoldenMlXgb>('heart-multi', 'mlxgb-predictions.json')
    const model = parseLegacyModel(readGoldenModel('heart-multi'))
    const preds = predict(model, goldenMatrix(inputs), inputs.rows.length)
    const theirs = f32(mlxgb.predictions)
    let same = 0
    for (let i = 0; i < preds.length; i++) if (preds[i] === theirs[i]) same++
    // Measured 4,132 of 4,600 (a float32 sum gave 2,440); the rest differ by expf's last bit
    // (WASM libm vs Math.exp), worst 5.96e-8.
    expect(preds.length).toBe(4600)
    expect(same).toBeGreaterThanOrEqual(4100)
    expect(maxAbsDiff(preds, theirs)).toBeLessThanOrEqual(6e-8)
  })

  it('covers about 10,000 rows of real data, with missing values and base_score != 0.5', () => {
    const sizes = ['heart', 'pima-pruned', 'diabetic'].map(
      (n) => readGoldenJson<GoldenInputs>(n, 'inputs.json').rows.length,
    )
    expect(sizes.reduce((a, b) => a + b)).toBeGreaterThanOrEqual(10_000)
    expect(parseLegacyModel(readGoldenModel('pima-pruned')).baseMargin).not.toBe(0)
  })
})

describe('links', () => {
  it('names the link of each objective', () => {
    expect(linkOf('binary:logistic')).toBe('logit')
    expect(linkOf('reg:linear')).toBe('identity')
    expect(linkOf('reg:squarederror')).toBe('identity')
    expect(linkOf('count:poisson')).toBe('log')
    expect(linkOf('multi:softprob')).toBe('softmax')
    expect(() => linkOf('rank:pairwise')).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }))
    expect(() => linkOf('toString')).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }))
  })

  it('softmax rows sum to 1 and keep the arg-max', () => {
    const m = Float32Array.from([1, 2, 3, -5, 0, 5])
    applyLinkInPlace('multi:softprob', 3, m)
    expect(m[0] as number).toBeLessThan(m[2] as number)
    expect(Math.abs((m[0] as number) + (m[1] as number) + (m[2] as number) - 1)).toBeLessThan(1e-6)
    expect(Math.abs((m[3] as number) + (m[4] as number) + (m[5] as number) - 1)).toBeLessThan(1e-6)
  })

  it('rejects a matrix of the wrong size', () => {
    const model = parseLegacyModel(readGoldenModel('heart'))
    expect(() => predictMargins(model, new Float32Array(13), 1)).toThrow(
      expect.objectContaining({ code: 'VALIDATION' }),
    )
  })
})
