/**
 * Batch prediction speed: Ward's predictor (src/ml/xgboost/predict.ts) vs ml-xgboost 1.1.2's own
 * `predict` on the same model and rows (the golden models of test/golden). Run by bench/run.ts,
 * or alone: `npx tsx -e "import('./bench/predict.bench.ts').then(async m => console.log(await m.run()))"`.
 */

import { parseLegacyModel } from '../src/ml/xgboost/legacy-binary-parser.js'
import { applyLinkInPlace, predict, predictRowMargins } from '../src/ml/xgboost/predict.js'
import {
  type GoldenInputs,
  goldenMatrix,
  readGoldenJson,
  readGoldenModel,
} from '../test/golden/golden-format.js'
import { loadMlXgboost, type MlXgbClass, toRowArrays } from '../test/golden/ml-xgboost-driver.js'

/** Runs `f` until `minMs` have passed (at least twice, after one warm-up); returns ms per call. */
const timeIt = (f: () => void, minMs: number): number => {
  f()
  let calls = 0
  const t0 = performance.now()
  let elapsed = 0
  do {
    f()
    calls++
    elapsed = performance.now() - t0
  } while (elapsed < minMs || calls < 2)
  return elapsed / calls
}

const median = (v: number[]): number => {
  const s = [...v].sort((p, q) => p - q)
  return s[Math.floor((s.length - 1) / 2)] as number
}

interface Row {
  model: string
  rows: number
  oursBatch: number
  oursSingle: number
  mlxgb: number
}

/**
 * Rows per second of the three contenders, measured in alternating rounds (the machine is
 * shared and noisy: alternating keeps the ratios fair) and reported as medians.
 */
const measure = (XGBoost: MlXgbClass, name: string, mlxgbRows: number, rounds = 5): Row => {
  const bytes = readGoldenModel(name)
  const model = parseLegacyModel(bytes)
  const inputs = readGoldenJson<GoldenInputs>(name, 'inputs.json')
  const x = goldenMatrix(inputs)
  const n = inputs.rows.length
  const out = new Float32Array(model.numGroup)
  const booster = XGBoost.load({
    name: 'ml-xgboost',
    model: Array.from(new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length)),
    options: {},
  })
  const some = toRowArrays(x.subarray(0, mlxgbRows * model.numFeature), model.numFeature)
  const batch: number[] = []
  const single: number[] = []
  const ml: number[] = []
  try {
    for (let i = 0; i < rounds; i++) {
      batch.push(n / (timeIt(() => predict(model, x, n), 250) / 1000))
      single.push(
        n /
          (timeIt(() => {
            for (let r = 0; r < n; r++) {
              predictRowMargins(model, x, r * model.numFeature, out)
              applyLinkInPlace(model.objective, model.numGroup, out)
            }
          }, 250) /
            1000),
      )
      ml.push(mlxgbRows / (timeIt(() => booster.predict(some), 250) / 1000))
    }
  } finally {
    booster.free()
  }
  return {
    model: `${name} (${model.numTrees} trees, ${model.numFeature} features, ${model.left.length} nodes)`,
    rows: n,
    oursBatch: median(batch),
    oursSingle: median(single),
    mlxgb: median(ml),
  }
}

const fmt = (v: number): string => Math.round(v).toLocaleString('en-US')

/** The benchmark section for docs/BENCHMARKS.md. */
export async function run(): Promise<string> {
  const XGBoost = await loadMlXgboost()
  const rows = [
    measure(XGBoost, 'heart', 920),
    measure(XGBoost, 'cleveland-shap-bench', 303),
    measure(XGBoost, 'diabetic', 2000),
  ]
  const lines = [
    '## Prediction: Ward predictor vs ml-xgboost',
    '',
    '`npx tsx bench/run.ts` (section from `bench/predict.bench.ts`). Same model bytes and rows',
    '(test/golden), probabilities out; one thread. ml-xgboost builds a DMatrix per row inside its',
    '`predict`; Ward walks flat typed arrays. "single" = Ward called one row at a time (the online',
    'path). Medians of 5 alternating rounds. Goal was batch >= 20x ml-xgboost.',
    '',
    '| model | rows | Ward batch rows/s | Ward single-row rows/s | ml-xgboost rows/s | batch / ml-xgboost | single / ml-xgboost |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.model} | ${fmt(r.rows)} | ${fmt(r.oursBatch)} | ${fmt(r.oursSingle)} | ${fmt(r.mlxgb)} | ${(r.oursBatch / r.mlxgb).toFixed(1)}x | ${(r.oursSingle / r.mlxgb).toFixed(1)}x |`,
    ),
    '',
  ]
  return lines.join('\n')
}
