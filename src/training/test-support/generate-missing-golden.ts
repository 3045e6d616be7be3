/**
 * Writes test/golden/training/missing-*: the models ml-xgboost trains on the missing-values
 * data set, the probe rows (empty cell = missing, -1 = a real -1), and what native XGBoost
 * 1.7.4 predicts for them with missing = NaN on the raw values. Run from the repo root:
 *   npx tsx src/training/test-support/generate-missing-golden.ts
 * (needs /usr/bin/python3 with python3-xgboost; the test suite itself needs no Python).
 */
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { trainBooster } from '../ml-xgboost-adapter.js'
import { trainingMatrixFromRows } from '../training-input.js'
import {
  MISSING_VALUES_ROUNDS,
  missingValuesDataset,
  missingValuesParams,
  missingValuesProbes,
} from './missing-values-dataset.js'

const dir = new URL('../../../test/golden/training/', import.meta.url)
const data = missingValuesDataset()
const csv = (rows: ReadonlyArray<ReadonlyArray<number | null>>): string =>
  `${rows.map((r) => r.map((v) => (v === null ? '' : String(v))).join(',')).join('\n')}\n`
const probesPath = new URL('missing-probes.csv', dir)
writeFileSync(probesPath, csv(missingValuesProbes))

for (const treeMethod of ['hist', 'exact'] as const) {
  const { modelBytes } = await trainBooster({
    ...trainingMatrixFromRows(data.rows, data.labels, data.cols),
    params: { ...missingValuesParams, tree_method: treeMethod },
    numRounds: MISSING_VALUES_ROUNDS,
  })
  const modelPath = new URL(`missing-${treeMethod}.model`, dir)
  writeFileSync(modelPath, modelBytes)
  const script = new URL('native_predict.py', dir).pathname
  const outPath = new URL(`missing-${treeMethod}.native.json`, dir).pathname
  execFileSync('/usr/bin/python3', [script, modelPath.pathname, probesPath.pathname, outPath], {
    stdio: 'inherit',
  })
}
