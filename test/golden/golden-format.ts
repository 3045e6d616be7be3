import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import {
  float32Text,
  rawJsonNumber,
  stringifyWithRawNumbers,
} from '../../src/ml/xgboost/float32-text.js'

/**
 * The golden files' JSON shapes (see test/golden/README.md). Every number is a float32 value
 * written as the shortest decimal that `Math.fround` reads back to the same float32.
 */
export interface GoldenInputs {
  readonly dataset: string
  readonly features: readonly string[]
  /** Input matrix already mapped by `toXgbValue` (-1 = missing); `Math.fround` each cell. */
  readonly rows: readonly (readonly number[])[]
  readonly label: readonly number[]
}

export interface GoldenMlXgb {
  readonly params: Record<string, string | number>
  /** ml-xgboost's `predict` (multi:softprob: numGroup values per row, concatenated). */
  readonly predictions: readonly number[]
  /** binary:logistic only: margins via the `binary:logitraw` swap. */
  readonly margins: readonly number[] | null
}

export interface GoldenNative {
  readonly xgboostVersion: string
  readonly missing: string
  readonly margins: readonly number[]
  readonly predictions: readonly number[]
  /** pred_contribs of the first `contribsRows` rows: per row (per group) numFeature values + bias. */
  readonly contribs: readonly number[]
  readonly contribsRows: number
}

/** JSON.stringify with every finite number written as shortest float32 text. */
export const stringifyFloat32 = (value: unknown): string =>
  stringifyWithRawNumbers(value, (_k, v) =>
    typeof v === 'number' && Number.isFinite(v) ? rawJsonNumber(float32Text(v)) : v,
  )

export const goldenDir = fileURLToPath(new URL('./', import.meta.url))

/** Reads `test/golden/<dataset>/<file>`. */
export const readGoldenJson = <T>(dataset: string, file: string): T =>
  JSON.parse(readFileSync(`${goldenDir}${dataset}/${file}`, 'utf8')) as T

export const readGoldenModel = (dataset: string): Uint8Array =>
  new Uint8Array(readFileSync(`${goldenDir}${dataset}/model.bin`))

/** The golden input matrix as the exact Float32Array the predictor takes. */
export const goldenMatrix = (inputs: GoldenInputs): Float32Array =>
  Float32Array.from(inputs.rows.flat())
