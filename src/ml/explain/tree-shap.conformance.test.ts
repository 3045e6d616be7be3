import { describe, expect, it } from 'vitest'
import {
  type GoldenInputs,
  type GoldenNative,
  goldenMatrix,
  readGoldenJson,
  readGoldenModel,
} from '../../../test/golden/golden-format.js'
import { parseLegacyModel } from '../xgboost/legacy-binary-parser.js'
import { predictMargins } from '../xgboost/predict.js'
import { createExplainer } from './explainer.js'

/**
 * Conformance with native XGBoost 1.7.4 `pred_contribs` (missing = -1) on the ml-xgboost models
 * trained on the real datasets (test/golden/<model>/, see test/golden/README.md).
 */
const MODELS = ['heart', 'pima-pruned', 'diabetic', 'heart-multi', 'cleveland-shap-bench']

describe('TreeSHAP vs native XGBoost pred_contribs', () => {
  for (const name of MODELS) {
    it(`${name}: both algorithms within 1e-5 of native, additive to the predictor's margin`, () => {
      const model = parseLegacyModel(readGoldenModel(name))
      const native = readGoldenJson<GoldenNative>(name, 'native.json')
      const numRows = native.contribsRows
      const x = goldenMatrix(readGoldenJson<GoldenInputs>(name, 'inputs.json')).subarray(
        0,
        numRows * model.numFeature,
      )
      const width = model.numFeature + 1
      expect(native.contribs.length).toBe(numRows * model.numGroup * width)
      const margins32 = predictMargins(model, x, numRows)
      for (const algorithm of ['tree-shap', 'fast-tree-shap-v2'] as const) {
        const got = createExplainer(model, { algorithm }).explainRows(x, numRows)
        let worst = 0
        for (let i = 0; i < got.length; i++) {
          worst = Math.max(worst, Math.abs((got[i] ?? 0) - (native.contribs[i] ?? Number.NaN)))
        }
        expect(worst, algorithm).toBeLessThan(1e-5)
        let worstSum = 0
        for (let r = 0; r < numRows * model.numGroup; r++) {
          let sum = 0
          for (let i = 0; i < width; i++) sum += got[r * width + i] ?? 0
          worstSum = Math.max(worstSum, Math.abs(sum - (margins32[r] ?? Number.NaN)))
        }
        expect(worstSum, algorithm).toBeLessThan(1e-5)
      }
    })
  }
})
