import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { toXgbMatrix } from '../ml/xgboost/missing.js'
import { predictWithMlXgboost, trainBooster } from './ml-xgboost-adapter.js'
import {
  MISSING_VALUES_ROUNDS,
  missingValuesDataset,
  missingValuesParams,
  missingValuesProbes,
} from './test-support/missing-values-dataset.js'
import { trainingMatrixFromRows } from './training-input.js'

// Golden files written by src/training/test-support/generate-missing-golden.ts: ml-xgboost's model
// bytes and native XGBoost 1.7.4's predictions for the raw probe rows with missing = NaN.
const golden = new URL('../../test/golden/training/', import.meta.url)
const nativeOf = (method: string): { predictions: number[] } =>
  JSON.parse(readFileSync(new URL(`missing-${method}.native.json`, golden), 'utf8'))

describe.each(['hist', 'exact'] as const)('missing values and real -1 (%s)', (treeMethod) => {
  const train = async () => {
    const data = missingValuesDataset()
    return trainBooster({
      ...trainingMatrixFromRows(data.rows, data.labels, data.cols),
      params: { ...missingValuesParams, tree_method: treeMethod },
      numRounds: MISSING_VALUES_ROUNDS,
    })
  }
  const probes = toXgbMatrix(missingValuesProbes, 3)

  it('trains deterministically: the same bytes as the golden model native XGBoost scored', async () => {
    const { modelBytes } = await train()
    const goldenBytes = readFileSync(new URL(`missing-${treeMethod}.model`, golden))
    expect(Buffer.from(modelBytes).equals(goldenBytes)).toBe(true)
  })

  it('scores mapped rows exactly as native XGBoost scores the raw rows with missing = NaN', async () => {
    const { modelBytes } = await train()
    const ours = await predictWithMlXgboost(modelBytes, probes, missingValuesProbes.length, 3)
    const native = nativeOf(treeMethod).predictions
    expect(native).toHaveLength(missingValuesProbes.length)
    for (const [i, p] of native.entries()) expect(ours.values[i]).toBeCloseTo(p, 6)
  })

  it('treats a real -1 as a value and a missing cell as missing', async () => {
    const { modelBytes } = await train()
    const { values } = await predictWithMlXgboost(modelBytes, probes, missingValuesProbes.length, 3)
    const [minusOne, missing, minusTwo] = [values[0], values[1], values[2]]
    // x0 = -1 belongs with -2 (both mostly positive in the data), missing x0 does not.
    expect(minusOne).toBeCloseTo(minusTwo as number, 6)
    expect((minusOne as number) - (missing as number)).toBeGreaterThan(0.3)
    // The same pairs differ for the continuous feature too (rows 4/5 and 6/7).
    expect(values[4]).not.toBeCloseTo(values[5] as number, 3)
  })
})
