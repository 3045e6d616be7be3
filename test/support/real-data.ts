import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { csvObjects } from '../../src/core/csv-text.js'

/**
 * Deterministic numeric encodings of the three real datasets in ../shared/data, for tests and
 * golden-file generation only (the feature store does the real ingestion). Rules, kept simple:
 *
 * - text categories become integer codes: the index of the value among the column's distinct
 *   values sorted by UTF-16 code units (so codes do not depend on row order);
 * - an empty field, `?` or a value the dataset README calls "not measured" becomes `null`
 *   (missing); the missing-value mapping to -1 is done later by `toXgbMatrix`.
 */
export interface RealDataset {
  readonly name: string
  readonly columns: readonly string[]
  readonly rows: (number | null)[][]
  /** Binary 0/1 target. */
  readonly label: number[]
  /** Heart only: the raw multi-class target `num` (0-4). */
  readonly classes?: number[]
}

/** ../shared/data, resolved from the repository root. */
export const sharedDataDir = fileURLToPath(new URL('../../../shared/data/', import.meta.url))

const readCsv = (file: string): Record<string, string>[] => {
  const text = readFileSync(`${sharedDataDir}${file}`, 'utf8')
  if (text.includes('"')) return csvObjects(text)
  // No quoting anywhere (true of all four files): a plain split is faster still.
  const lines = text.split(/\r?\n/).filter((l) => l !== '')
  const header = (lines[0] ?? '').split(',')
  return lines.slice(1).map((line) => {
    const cells = line.split(',')
    if (cells.length !== header.length) throw new Error(`${file}: a row has ${cells.length} fields`)
    return Object.fromEntries(header.map((h, j) => [h, cells[j] ?? '']))
  })
}

const number = (s: string | undefined, column: string): number => {
  const x = Number(s)
  if (s === undefined || s.trim() === '' || !Number.isFinite(x)) {
    throw new Error(`column ${column}: '${s}' is not a number`)
  }
  return x
}

/** Encodes one column of records with a per-column cell rule. */
type CellRule = (value: string, column: string) => number | null

const numeric: CellRule = (v, c) => (v === '' || v === '?' ? null : number(v, c))

/** Builds a rule that maps text to its index among the sorted distinct non-missing values. */
const categorical = (
  records: readonly Record<string, string>[],
  column: string,
  missing: readonly string[],
): CellRule => {
  const values = [...new Set(records.map((r) => r[column] ?? ''))].filter(
    (v) => !missing.includes(v),
  )
  values.sort()
  const code = new Map(values.map((v, i) => [v, i]))
  return (v) => code.get(v) ?? null
}

const encode = (
  name: string,
  records: readonly Record<string, string>[],
  rules: ReadonlyArray<readonly [string, CellRule]>,
  label: (r: Record<string, string>) => number,
): RealDataset => ({
  name,
  columns: rules.map(([c]) => c),
  rows: records.map((r) => rules.map(([c, rule]) => rule(r[c] ?? '', c))),
  label: records.map(label),
})

/** UCI heart disease, 920 rows x 14 features; label `num > 0`. */
export const loadHeart = (): RealDataset => {
  const recs = readCsv('heart_disease_uci.csv')
  const cat = (c: string) => categorical(recs, c, [''])
  const bool: CellRule = (v) => (v === 'TRUE' ? 1 : v === 'FALSE' ? 0 : null)
  // chol == 0 and trestbps == 0 mean "not measured" (dataset README).
  const zeroIsMissing: CellRule = (v, c) => (v === '' || Number(v) === 0 ? null : number(v, c))
  const heart = encode(
    'heart',
    recs,
    [
      ['age', numeric],
      ['sex', cat('sex')],
      ['dataset', cat('dataset')],
      ['cp', cat('cp')],
      ['trestbps', zeroIsMissing],
      ['chol', zeroIsMissing],
      ['fbs', bool],
      ['restecg', cat('restecg')],
      ['thalch', numeric],
      ['exang', bool],
      ['oldpeak', numeric],
      ['slope', cat('slope')],
      ['ca', numeric],
      ['thal', cat('thal')],
    ],
    (r) => (number(r.num, 'num') > 0 ? 1 : 0),
  )
  return { ...heart, classes: recs.map((r) => number(r.num, 'num')) }
}

/** Pima Indians diabetes, 768 rows x 8 features; zeros in physiologic columns are missing. */
export const loadPima = (): RealDataset => {
  const recs = readCsv('pima_diabetes.csv')
  const zeroIsMissing: CellRule = (v, c) => (Number(v) === 0 ? null : number(v, c))
  const columns = ['Pregnancies', 'Glucose', 'BloodPressure', 'SkinThickness', 'Insulin', 'BMI']
  const zeroMissing = new Set(columns.slice(1))
  const all = [...columns, 'DiabetesPedigreeFunction', 'Age']
  return encode(
    'pima',
    recs,
    all.map((c) => [c, zeroMissing.has(c) ? zeroIsMissing : numeric] as const),
    (r) => number(r.Outcome, 'Outcome'),
  )
}

/** ICD-9 code as a number: numeric codes as is, `Vnn` as 1000 + nn, `Ennn` as 2000 + nnn. */
const icd9: CellRule = (v, c) => {
  if (v === '?' || v === '') return null
  if (v.startsWith('V')) return 1000 + number(v.slice(1), c)
  if (v.startsWith('E')) return 2000 + number(v.slice(1), c)
  return number(v, c)
}

/**
 * Diabetes 130-US hospitals: every `stride`-th encounter (default 10 → 10,177 rows) x 33
 * features; label `readmitted == '<30'`. `age` buckets become their lower bound.
 */
export const loadDiabetic = (stride = 10): RealDataset => {
  const recs = readCsv('diabetic_data.csv').filter((_, i) => i % stride === 0)
  const cat = (c: string) => categorical(recs, c, ['?', 'Unknown/Invalid'])
  const numericColumns = [
    'admission_type_id',
    'discharge_disposition_id',
    'admission_source_id',
    'time_in_hospital',
    'num_lab_procedures',
    'num_procedures',
    'num_medications',
    'number_outpatient',
    'number_emergency',
    'number_inpatient',
    'number_diagnoses',
  ]
  const categoricalColumns = [
    'race',
    'gender',
    'payer_code',
    'medical_specialty',
    'max_glu_serum',
    'A1Cresult',
    'metformin',
    'repaglinide',
    'glimepiride',
    'glipizide',
    'glyburide',
    'pioglitazone',
    'rosiglitazone',
    'insulin',
    'change',
    'diabetesMed',
  ]
  const age: CellRule = (v, c) => number(/^\[(\d+)-/.exec(v)?.[1], c)
  return encode(
    'diabetic',
    recs,
    [
      ['age', age] as const,
      ...numericColumns.map((c) => [c, numeric] as const),
      ...categoricalColumns.map((c) => [c, cat(c)] as const),
      ['diag_1', icd9],
      ['diag_2', icd9],
      ['diag_3', icd9],
    ],
    (r) => (r.readmitted === '<30' ? 1 : 0),
  )
}

/** UCI processed Cleveland file, 303 rows x 13 numeric features (`?` = missing); label `num > 0`. */
export const loadCleveland = (): RealDataset => {
  const recs = readCsv('processed.cleveland.csv')
  const header = Object.keys(recs[0] ?? {})
  return encode(
    'cleveland',
    recs,
    header.filter((c) => c !== 'num').map((c) => [c, numeric] as const),
    (r) => (number(r.num, 'num') > 0 ? 1 : 0),
  )
}
