/**
 * Prediction speed: Ward's predictor (src/ml/xgboost/predict.ts) vs ml-xgboost 1.1.2's own
 * `predict` on the same model and rows (the golden models of test/golden), two ways:
 *
 * - batch: all rows in one call (ml-xgboost's `predict(rows)` loops its per-row predict inside);
 * - per call: one row per call, as the online path scores (ml-xgboost `predict([row])` vs Ward
 *   `predictRowMargins` + `applyLinkInPlace`).
 *
 * Run by bench/run.ts, or alone: `npm run bench -- predict`.
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
import { median } from './median.js'

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

/** Rows per second (batch) and microseconds per one-row call, medians over rounds. */
interface Row {
  model: string
  rows: number
  oursBatch: number
  mlxgbBatch: number
  oursCallUs: number
  mlxgbCallUs: number
}

/**
 * The four contenders measured in alternating rounds (the machine is shared and noisy:
 * alternating keeps the ratios fair) and reported as medians. A sink keeps the results alive.
 */
const measure = (XGBoost: MlXgbClass, name: string, mlxgbRows: number, rounds = 5): Row => {
  const bytes = readGoldenModel(name)
  const model = parseLegacyModel(bytes)
  const inputs = readGoldenJson<GoldenInputs>(name, 'inputs.json')
  const x = goldenMatrix(inputs)
  const n = inputs.rows.length
  const nf = model.numFeature
  const out = new Float32Array(model.numGroup)
  const booster = XGBoost.load({
    name: 'ml-xgboost',
    model: Array.from(new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length)),
    options: {},
  })
  const some = toRowArrays(x.subarray(0, mlxgbRows * nf), nf)
  const oneRowCalls = some.map((r) => [r])
  let sink = 0
  const oursBatch: number[] = []
  const mlBatch: number[] = []
  const oursCall: number[] = []
  const mlCall: number[] = []
  try {
    for (let i = 0; i < rounds; i++) {
      oursBatch.push(n / (timeIt(() => predict(model, x, n), 250) / 1000))
      mlBatch.push(mlxgbRows / (timeIt(() => booster.predict(some), 250) / 1000))
      const oursMs = timeIt(() => {
        for (let r = 0; r < n; r++) {
          predictRowMargins(model, x, r * nf, out)
          sink += applyLinkInPlace(model.objective, model.numGroup, out)[0] as number
        }
      }, 250)
      oursCall.push((oursMs * 1000) / n)
      const mlMs = timeIt(() => {
        for (const one of oneRowCalls) sink += booster.predict(one).length
      }, 250)
      mlCall.push((mlMs * 1000) / oneRowCalls.length)
    }
  } finally {
    booster.free()
  }
  if (Number.isNaN(sink)) throw new Error('benchmark produced NaN')
  return {
    model: `${name} (${model.numTrees} trees, ${nf} features, ${model.left.length} nodes)`,
    rows: n,
    oursBatch: median(oursBatch),
    mlxgbBatch: median(mlBatch),
    oursCallUs: median(oursCall),
    mlxgbCallUs: median(mlCall),
  }
}

const fmt = (v: number): string => Math.round(v).toLocaleString('en-US')

/** The per-call goal, met only when every model reaches it. */
const PER_CALL_GOAL = 20

const perCallVerdict = (speedUps: readonly number[]): string => {
  const low = Math.min(...speedUps)
  const high = Math.max(...speedUps)
  return `Goal >= ${PER_CALL_GOAL}x per call: ${low >= PER_CALL_GOAL ? 'met' : 'missed'} (${low.toFixed(1)}x to ${high.toFixed(1)}x across the models).`
}

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
    '`npm run bench -- predict` (section from `bench/predict.bench.ts`). Same model bytes and rows',
    '(test/golden), probabilities out; one thread; medians of 5 alternating rounds.',
    '',
    'Per call: one row per call, the online path. ml-xgboost `booster.predict([row])` (it builds',
    'a DMatrix per call) vs Ward `predictRowMargins` + `applyLinkInPlace` (validation included).',
    'Goal: >= 20x.',
    '',
    '| model | ml-xgboost µs/call | Ward µs/call | speed-up |',
    '| --- | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.model} | ${r.mlxgbCallUs.toFixed(2)} | ${r.oursCallUs.toFixed(2)} | ${(r.mlxgbCallUs / r.oursCallUs).toFixed(1)}x |`,
    ),
    '',
    perCallVerdict(rows.map((r) => r.mlxgbCallUs / r.oursCallUs)),
    '',
    'Batch: all rows in one call. ml-xgboost `predict(rows)` runs its per-row predict in a loop',
    'inside one call (so no per-call JS overhead); Ward `predict(model, x, numRows)`.',
    '',
    '| model | rows | ml-xgboost rows/s | Ward rows/s | speed-up |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.model} | ${fmt(r.rows)} | ${fmt(r.mlxgbBatch)} | ${fmt(r.oursBatch)} | ${(r.oursBatch / r.mlxgbBatch).toFixed(1)}x |`,
    ),
    '',
  ]
  return lines.join('\n')
}
