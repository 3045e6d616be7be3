import { createRequire } from 'node:module'

/**
 * Typed access to ml-xgboost 1.1.2 (a CommonJS module whose export is a promise of the class)
 * for tests, golden generation and the benchmark. Options are XGBoost parameters; ml-xgboost
 * stringifies them. Inputs must already be mapped by `toXgbMatrix` (-1 = missing, no NaN).
 */
export interface MlXgbJson {
  name: string
  model: number[]
  options: Record<string, string | number>
}

export interface MlXgbBooster {
  train(x: number[][], y: number[]): void
  predict(x: number[][]): Array<number | number[]>
  toJSON(): MlXgbJson
  free(): void
}

export interface MlXgbClass {
  new (options: Record<string, string | number>): MlXgbBooster
  load(json: MlXgbJson): MlXgbBooster
}

const require = createRequire(import.meta.url)

export const loadMlXgboost = async (): Promise<MlXgbClass> =>
  (await (require('ml-xgboost') as Promise<unknown>)) as MlXgbClass

/** Row arrays from a row-major Float32Array (the exact float32 values ml-xgboost will see). */
export const toRowArrays = (x: Float32Array, numCols: number): number[][] => {
  const rows: number[][] = []
  for (let s = 0; s < x.length; s += numCols) rows.push(Array.from(x.subarray(s, s + numCols)))
  return rows
}

/** Trains with pinned, explicit defaults (ml-xgboost's own are reg:linear and subsample 0.5). */
export const trainMlXgboost = (
  XGBoost: MlXgbClass,
  x: number[][],
  y: number[],
  params: Record<string, string | number>,
): MlXgbJson => {
  const booster = new XGBoost({
    booster: 'gbtree',
    objective: 'binary:logistic',
    max_depth: 4,
    eta: 0.1,
    min_child_weight: 1,
    subsample: 1,
    colsample_bytree: 1,
    silent: 1,
    iterations: 100,
    ...params,
  })
  try {
    booster.train(x, y)
    return booster.toJSON()
  } finally {
    booster.free()
  }
}

/** Predictions of a saved model (flattened: multi-class rows are concatenated). */
export const mlXgboostPredict = (XGBoost: MlXgbClass, json: MlXgbJson, x: number[][]): number[] => {
  const booster = XGBoost.load(json)
  try {
    return booster.predict(x).flat()
  } finally {
    booster.free()
  }
}

/**
 * ml-xgboost has no output_margin. For binary:logistic the margins come from the same bytes with
 * the objective name swapped for the equally long `binary:logitraw` (identity link, same trees).
 */
export const mlXgboostMargins = (XGBoost: MlXgbClass, json: MlXgbJson, x: number[][]): number[] => {
  const bytes = Uint8Array.from(json.model, (b) => b & 0xff)
  const at = Buffer.from(bytes).indexOf('binary:logistic', 0, 'latin1')
  if (at < 0) throw new Error('margins need a binary:logistic model')
  bytes.set(Buffer.from('binary:logitraw', 'latin1'), at)
  const model = Array.from(new Int8Array(bytes.buffer))
  return mlXgboostPredict(XGBoost, { ...json, model }, x)
}
