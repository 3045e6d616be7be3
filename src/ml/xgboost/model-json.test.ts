import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  type GoldenInputs,
  goldenDir,
  goldenMatrix,
  readGoldenJson,
  readGoldenModel,
} from '../../../test/golden/golden-format.js'
import { parseLegacyModel } from './legacy-binary-parser.js'
import { writeModelJson } from './model-json.js'
import { readModelJson } from './model-json-read.js'
import { predict, predictMargins } from './predict.js'

const MODELS = ['heart', 'pima-pruned', 'diabetic', 'heart-multi', 'cleveland-shap-bench']

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length)
  let d = 0
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)))
  return d
}

describe('XGBoost 1.7 JSON export', () => {
  it.each(MODELS)('%s: read(write(m)) is the same ensemble', (name) => {
    const m = parseLegacyModel(readGoldenModel(name))
    expect(readModelJson(writeModelJson(m))).toEqual(m)
  })

  it.each(MODELS)(
    '%s: the committed export is current and native 1.7.4 predicts like Ward',
    (name) => {
      const m = parseLegacyModel(readGoldenModel(name))
      const committed = readFileSync(`${goldenDir}${name}/model-xgb17.json`, 'utf8')
      // (compared as a boolean: a diff of two 400 kB strings helps nobody)
      expect(writeModelJson(m) === committed).toBe(true)
      const inputs = readGoldenJson<GoldenInputs>(name, 'inputs.json')
      const native = readGoldenJson<{ margins: number[]; predictions: number[] }>(
        name,
        'native-from-json-export.json',
      )
      const x = goldenMatrix(inputs)
      const n = inputs.rows.length
      expect(maxAbsDiff(predict(m, x, n), native.predictions)).toBeLessThanOrEqual(5e-7)
      // 1.7 adds the base margin first: bit-equal only when it is 0.
      const margins = predictMargins(m, x, n)
      if (m.baseMargin === 0)
        expect(Array.from(margins)).toEqual(Array.from(Float32Array.from(native.margins)))
      else expect(maxAbsDiff(margins, native.margins)).toBeLessThanOrEqual(1e-5)
    },
  )

  it('writes base_score as a short string in probability space', () => {
    const pima = JSON.parse(writeModelJson(parseLegacyModel(readGoldenModel('pima-pruned'))))
    expect(pima.learner.learner_model_param.base_score).toBe('3E-1')
    const heart = JSON.parse(writeModelJson(parseLegacyModel(readGoldenModel('heart'))))
    expect(heart.learner.learner_model_param.base_score).toBe('5E-1')
  })

  it('maps reg:linear to reg:squarederror and restores it on read', () => {
    const m = {
      ...parseLegacyModel(readGoldenModel('heart')),
      objective: 'reg:linear',
      baseMargin: 0.5,
    }
    const doc = JSON.parse(writeModelJson(m))
    expect(doc.learner.objective.name).toBe('reg:squarederror')
    expect(doc.learner.learner_model_param.base_score).toBe('5E-1')
    expect(readModelJson(doc)).toEqual(m)
  })

  it("reads native XGBoost's own JSON (deleted slots, allocation order) into the same trees", () => {
    const legacy = parseLegacyModel(readGoldenModel('pima-pruned'))
    const text = readFileSync(`${goldenDir}pima-pruned/native-saved.json`, 'utf8')
    const nativeTrees = JSON.parse(text).learner.gradient_booster.model.trees as {
      tree_param: { num_deleted: string }
    }[]
    expect(nativeTrees.some((t) => t.tree_param.num_deleted !== '0')).toBe(true)
    const fromNative = readModelJson(text)
    // Without Ward's attribute the base margin is recomputed from base_score "3E-1".
    expect(fromNative.baseMargin).toBeCloseTo(legacy.baseMargin, 6)
    expect({ ...fromNative, baseMargin: 0 }).toEqual({ ...legacy, baseMargin: 0 })
  })

  it('rejects malformed JSON models with CORRUPT_MODEL', () => {
    const m = parseLegacyModel(readGoldenModel('heart'))
    const doc = JSON.parse(writeModelJson(m))
    const tree = doc.learner.gradient_booster.model.trees[0]
    expect(() => readModelJson('{')).toThrow(expect.objectContaining({ code: 'CORRUPT_MODEL' }))
    tree.left_children[1] = 0
    expect(() => readModelJson(doc)).toThrow(/reached twice/)
    tree.left_children.pop()
    expect(() => readModelJson(doc)).toThrow(/entries/)
  })
})
