/**
 * Training time of ml-xgboost (XGBoost 0.7 in WASM, one thread) with `hist` versus `exact`
 * (XGBoost 0.7's and ml-xgboost's default), through our heap-passing adapter, on seeded
 * synthetic data. Run alone: `npm run bench -- training`.
 */
import { cpus } from 'node:os'
import { toXgbValue } from '../src/ml/xgboost/missing.js'
import { predictWithMlXgboost, trainBooster } from '../src/training/ml-xgboost-adapter.js'
import type { TrainingMatrix } from '../src/training/training-input.js'
import { median } from './median.js'

const FEATURES = 20
const HOLDOUT = 5_000
const PARAMS = { objective: 'binary:logistic', max_depth: 6, eta: 0.3, max_bin: 256 } as const
const ROUNDS = 20
const SIZES = [
  { rows: 10_000, repeats: 3 },
  { rows: 100_000, repeats: 1 },
] as const
const METHODS = ['exact', 'hist'] as const

const lcg = (seed: number) => {
  let s = seed
  return () => {
    s = (s * 16_807) % 2_147_483_647
    return s / 2_147_483_647
  }
}

/**
 * rows × 20 uniform features, 5% of cells missing; the label is drawn from a logistic model
 * with a threshold, a sine and an interaction, so trees need several levels.
 */
const synthetic = (rows: number, seed: number): TrainingMatrix => {
  const rnd = lcg(seed)
  const matrix = new Float32Array(rows * FEATURES)
  const labels = new Float32Array(rows)
  const x = new Float64Array(FEATURES)
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < FEATURES; c++) {
      x[c] = rnd()
      matrix[r * FEATURES + c] = toXgbValue(rnd() < 0.05 ? null : x[c])
    }
    const [x0, x1, x2, x3, x4] = [x[0], x[1], x[2], x[3], x[4]] as number[]
    const z =
      3 * ((x0 as number) - 0.5) +
      2 * Math.sin(6 * (x1 as number)) +
      ((x2 as number) > 0.7 ? 1.5 : 0) -
      4 * (x3 as number) * (x4 as number) +
      0.5
    labels[r] = rnd() < 1 / (1 + Math.exp(-z)) ? 1 : 0
  }
  return { matrix, labels, rows, cols: FEATURES }
}

const accuracy = (pred: Float32Array, labels: Float32Array): number =>
  labels.reduce((n, y, i) => n + (((pred[i] as number) > 0.5 ? 1 : 0) === y ? 1 : 0), 0) /
  labels.length

interface Row {
  rows: number
  method: string
  ms: number
  each: number[]
  acc: number
}

/** Runs the benchmark and returns its markdown section. */
export async function run(): Promise<string> {
  const holdout = synthetic(HOLDOUT, 99)
  const results: Row[] = []
  // Warm the WASM module (compile + first allocation) outside the timings.
  await trainBooster({ ...synthetic(500, 3), params: PARAMS, numRounds: 1 })
  for (const { rows, repeats } of SIZES) {
    const data = synthetic(rows, 7)
    for (const method of METHODS) {
      const each: number[] = []
      let model: Uint8Array = new Uint8Array()
      for (let i = 0; i < repeats; i++) {
        const t0 = performance.now()
        const { modelBytes } = await trainBooster({
          ...data,
          params: { ...PARAMS, tree_method: method },
          numRounds: ROUNDS,
        })
        each.push(performance.now() - t0)
        model = modelBytes
      }
      const pred = await predictWithMlXgboost(model, holdout.matrix, HOLDOUT, FEATURES)
      results.push({
        rows,
        method,
        ms: median(each),
        each,
        acc: accuracy(pred.values, holdout.labels),
      })
    }
  }
  const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`)
  const lines = [
    '## Training: ml-xgboost `hist` vs `exact`',
    '',
    '`npm run bench -- training`',
    '',
    `Seeded synthetic binary data: ${FEATURES} uniform features, 5% of cells missing, label from a`,
    'logistic model with a threshold, a sine and an interaction. binary:logistic, max_depth 6,',
    `eta 0.3, ${ROUNDS} rounds, subsample 1, one WASM thread (ml-xgboost 1.1.2 = XGBoost 0.7), data`,
    'passed on the heap by `trainBooster` (time includes the copy and model save). Accuracy on a',
    `${HOLDOUT.toLocaleString('en')}-row holdout from the same generator. Baseline: \`exact\`, XGBoost 0.7's and`,
    `ml-xgboost's default. Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}.`,
    '',
    '| rows | tree_method | train time (median) | runs | holdout accuracy | speed-up vs exact |',
    '| ---: | --- | ---: | ---: | ---: | ---: |',
  ]
  for (const r of results) {
    const base = results.find((b) => b.rows === r.rows && b.method === 'exact')
    const ratio = base === undefined ? '' : `${(base.ms / r.ms).toFixed(2)}×`
    lines.push(
      `| ${r.rows.toLocaleString('en')} | ${r.method} | ${fmt(r.ms)} | ${r.each.length} | ${r.acc.toFixed(4)} | ${ratio} |`,
    )
  }
  return `${lines.join('\n')}\n`
}
