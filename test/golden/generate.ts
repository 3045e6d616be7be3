/**
 * Regenerates the golden files under test/golden/<model>/ (see README.md there):
 *
 *   npx tsx test/golden/generate.ts [model ...]
 *
 * Needs ml-xgboost (npm) and Debian's python3-xgboost 1.7.4 at /usr/bin/python3, and reads
 * ../shared/data and ../shared/peers/xgb_reference.py. Training is deterministic (subsample 1,
 * colsample 1, single-threaded WASM), so a rerun rewrites identical bytes.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseLegacyModel } from '../../src/ml/xgboost/legacy-binary-parser.js'
import { toXgbMatrix } from '../../src/ml/xgboost/missing.js'
import { bytesFromMlXgboostJson } from '../../src/ml/xgboost/ml-xgboost-json.js'
import { writeModelJson } from '../../src/ml/xgboost/model-json.js'
import {
  loadCleveland,
  loadDiabetic,
  loadHeart,
  loadPima,
  type RealDataset,
} from '../support/real-data.js'
import {
  type GoldenInputs,
  type GoldenMlXgb,
  type GoldenNative,
  goldenDir,
  stringifyFloat32,
} from './golden-format.js'
import {
  loadMlXgboost,
  mlXgboostMargins,
  mlXgboostPredict,
  toRowArrays,
  trainMlXgboost,
} from './ml-xgboost-driver.js'

interface Spec {
  readonly name: string
  readonly load: () => RealDataset
  readonly label?: (d: RealDataset) => number[]
  readonly params: Record<string, string | number>
  readonly contribsRows: number
}

const SPECS: readonly Spec[] = [
  { name: 'heart', load: loadHeart, params: { max_depth: 4, iterations: 100 }, contribsRows: 920 },
  {
    name: 'pima-pruned',
    load: loadPima,
    params: { max_depth: 6, gamma: 1, base_score: 0.3, iterations: 100 },
    contribsRows: 768,
  },
  {
    name: 'diabetic',
    load: () => loadDiabetic(10),
    params: { max_depth: 6, iterations: 100 },
    contribsRows: 2000,
  },
  {
    name: 'heart-multi',
    load: loadHeart,
    label: (d) => d.classes ?? [],
    params: { objective: 'multi:softprob', num_class: 5, max_depth: 3, iterations: 20 },
    contribsRows: 200,
  },
  {
    name: 'cleveland-shap-bench',
    load: loadCleveland,
    params: { max_depth: 6, iterations: 100 },
    contribsRows: 303,
  },
]

const PYTHON = '/usr/bin/python3'
const REFERENCE = join(goldenDir, '..', '..', '..', 'shared', 'peers', 'xgb_reference.py')

interface ReferenceOutput {
  xgboost_version: string
  margins: number[] | number[][]
  predictions: number[] | number[][]
  contribs?: number[][] | number[][][]
}

const csvOf = (features: readonly string[], rows: readonly (readonly number[])[]): string =>
  `${features.join(',')}\n${rows.map((r) => r.join(',')).join('\n')}\n`

const runReference = (
  tmp: string,
  modelPath: string,
  csv: string,
  contribs: boolean,
): ReferenceOutput => {
  const csvPath = join(tmp, 'rows.csv')
  const outPath = join(tmp, 'ref.json')
  writeFileSync(csvPath, csv)
  const args = [REFERENCE, modelPath, csvPath, '--missing', '-1', '--out', outPath]
  if (!contribs) args.push('--no-contribs')
  execFileSync(PYTHON, args, { stdio: ['ignore', 'ignore', 'ignore'] })
  return JSON.parse(readFileSync(outPath, 'utf8')) as ReferenceOutput
}

/** Native XGBoost 1.7.4 margins and predictions for an XGBoost JSON model file. */
const runNativeJson = (
  tmp: string,
  jsonPath: string,
  csv: string,
): { margins: number[]; predictions: number[] } => {
  const csvPath = join(tmp, 'rows.csv')
  writeFileSync(csvPath, csv)
  const script = [
    'import json, sys, numpy as np, xgboost as xgb',
    'X = np.loadtxt(sys.argv[2], delimiter=",", skiprows=1, ndmin=2).astype(np.float32)',
    'b = xgb.Booster(); b.load_model(sys.argv[1])',
    'd = xgb.DMatrix(X, missing=-1.0)',
    'f = lambda a: np.asarray(a, dtype=np.float32).astype(np.float64).ravel().tolist()',
    'print(json.dumps({"margins": f(b.predict(d, output_margin=True)), "predictions": f(b.predict(d))}))',
  ].join('\n')
  const out = execFileSync(PYTHON, ['-c', script, jsonPath, csvPath], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return JSON.parse(out) as { margins: number[]; predictions: number[] }
}

const generate = async (spec: Spec): Promise<void> => {
  const XGBoost = await loadMlXgboost()
  const data = spec.load()
  const label = spec.label ? spec.label(data) : data.label
  const numFeature = data.columns.length
  const x = toXgbMatrix(data.rows, numFeature)
  const rows = toRowArrays(x, numFeature)
  const json = trainMlXgboost(XGBoost, rows, label, spec.params)
  const bytes = bytesFromMlXgboostJson(json)
  const dir = join(goldenDir, spec.name)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'model.bin'), bytes)

  const inputs: GoldenInputs = { dataset: data.name, features: data.columns, rows, label }
  writeFileSync(join(dir, 'inputs.json'), stringifyFloat32(inputs))
  const binary = json.options.objective === 'binary:logistic'
  const mlxgb: GoldenMlXgb = {
    params: json.options,
    predictions: mlXgboostPredict(XGBoost, json, rows),
    margins: binary ? mlXgboostMargins(XGBoost, json, rows) : null,
  }
  writeFileSync(join(dir, 'mlxgb-predictions.json'), stringifyFloat32(mlxgb))

  const tmp = mkdtempSync(join(tmpdir(), 'ward-golden-'))
  try {
    const modelPath = join(dir, 'model.bin')
    const all = runReference(tmp, modelPath, csvOf(data.columns, rows), false)
    const n = Math.min(spec.contribsRows, rows.length)
    const some = runReference(tmp, modelPath, csvOf(data.columns, rows.slice(0, n)), true)
    const native: GoldenNative = {
      xgboostVersion: all.xgboost_version,
      missing: '-1',
      margins: all.margins.flat(),
      predictions: all.predictions.flat(),
      contribs: (some.contribs ?? []).flat(2),
      contribsRows: n,
    }
    writeFileSync(join(dir, 'native.json'), stringifyFloat32(native))

    // Our XGBoost 1.7 JSON export, and what native XGBoost predicts from it.
    const exported = writeModelJson(parseLegacyModel(bytes))
    const jsonPath = join(dir, 'model-xgb17.json')
    writeFileSync(jsonPath, exported)
    writeFileSync(
      join(dir, 'native-from-json-export.json'),
      stringifyFloat32(runNativeJson(tmp, jsonPath, csvOf(data.columns, rows))),
    )
    if (spec.name === 'pima-pruned') {
      // What native XGBoost itself writes after loading the legacy bytes (deleted slots kept).
      const save =
        'import sys, xgboost as xgb\nb = xgb.Booster(); b.load_model(bytearray(open(sys.argv[1], "rb").read())); b.save_model(sys.argv[2])'
      execFileSync(PYTHON, ['-c', save, modelPath, join(dir, 'native-saved.json')], {
        stdio: 'ignore',
      })
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
  console.log(`${spec.name}: ${rows.length} rows x ${numFeature}, ${bytes.length} model bytes`)
}

const wanted = process.argv.slice(2)
for (const spec of SPECS)
  if (wanted.length === 0 || wanted.includes(spec.name)) await generate(spec)
