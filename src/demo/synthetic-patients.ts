import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { csvText } from '../core/csv-text.js'
import { mulberry32 } from '../core/random.js'

/**
 * SYNTHETIC demo data: invented patients, no real person behind any row. File names start with
 * `synthetic_`, ids with `SYN-`, and every row carries `data_origin=synthetic`.
 *
 * Shape chosen so point-in-time joins matter: each patient has 3-8 visits spread over ~2 years
 * with vitals drifting per patient, labs measured at only some visits (their own file, so a visit
 * without labs does not overwrite the last lab value), and one outcome recorded 30-180 days after
 * a visit that is usually *not* the last one. Joining "latest values" instead of "values as of the
 * outcome" therefore leaks later visits into training. Rows also carry a `recorded_ts` (data entry
 * time, after the event) for the created-timestamp tie-break.
 *
 * Deterministic: the only randomness is the seeded mulberry32 generator below, and numbers are
 * written with fixed decimals, so the same options give byte-identical CSV text.
 */
export interface SyntheticOptions {
  seed: number
  /** Number of synthetic patients (default 500). */
  patients?: number
  /** First possible visit (default 2022-01-03T00:00:00Z). */
  start?: Date
}

/** File name per source, as the `features/synthetic.yaml` sources expect them. */
export const SYNTHETIC_FILES = {
  synthetic_visits: 'synthetic_visits.csv',
  synthetic_labs: 'synthetic_labs.csv',
  synthetic_outcomes: 'synthetic_outcomes.csv',
} as const

export type SyntheticSource = keyof typeof SYNTHETIC_FILES

const DAY_MS = 86_400_000
const DEFAULT_START = Date.UTC(2022, 0, 3)

interface Random {
  uniform(lo: number, hi: number): number
  int(lo: number, hi: number): number
  normal(mean: number, sd: number): number
  chance(p: number): boolean
}

const makeRandom = (seed: number): Random => {
  const next = mulberry32(seed)
  const uniform = (lo: number, hi: number) => lo + (hi - lo) * next()
  return {
    uniform,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    // Box-Muller; 1 - u keeps the log argument in (0, 1].
    normal: (mean, sd) =>
      mean + sd * Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()),
    chance: (p) => next() < p,
  }
}

type Cell = string | number
type Table = { header: string[]; rows: Cell[][] }

const iso = (ms: number): string => new Date(ms).toISOString()
const fixed = (x: number, digits: number): string => x.toFixed(digits)
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x))

/** A patient's hidden trajectory: baseline values and drift per year. */
interface Patient {
  id: string
  sex: 'F' | 'M'
  ageAtStart: number
  smoker: boolean
  sbp: [number, number]
  hr: number
  bmi: [number, number]
  hba1c: [number, number]
  ldl: [number, number]
}

const at = ([base, perYear]: [number, number], years: number) => base + perYear * years

const makePatient = (r: Random, index: number): Patient => ({
  id: `SYN-${String(index + 1).padStart(5, '0')}`,
  sex: r.chance(0.5) ? 'F' : 'M',
  ageAtStart: r.int(35, 80),
  smoker: r.chance(0.2),
  sbp: [r.normal(128, 14), r.normal(2, 4)],
  hr: r.normal(72, 8),
  bmi: [r.normal(28, 4.5), r.normal(0.3, 0.8)],
  hba1c: [r.normal(5.9, 0.7), r.normal(0.15, 0.3)],
  ldl: [r.normal(120, 28), r.normal(-2, 8)],
})

/** Logistic risk model of the synthetic outcome, driven by the state at the index visit. */
const eventProbability = (p: Patient, years: number): number => {
  const logit =
    -2.2 +
    0.045 * (at(p.sbp, years) - 130) +
    0.6 * (at(p.hba1c, years) - 6) +
    0.03 * (p.ageAtStart + years - 55) +
    0.5 * (p.smoker ? 1 : 0) +
    0.04 * (at(p.bmi, years) - 28)
  return 1 / (1 + Math.exp(-logit))
}

/** The three synthetic tables, rows sorted by patient then time. */
export const generateSyntheticTables = (
  options: SyntheticOptions,
): Record<SyntheticSource, Table> => {
  const r = makeRandom(options.seed)
  const start = options.start?.getTime() ?? DEFAULT_START
  const count = options.patients ?? 500
  const visits: Table = {
    header: [
      'synthetic_patient_id',
      'visit_ts',
      'recorded_ts',
      'data_origin',
      'age',
      'sex',
      'smoker',
      'systolic_bp',
      'diastolic_bp',
      'heart_rate',
      'bmi',
    ],
    rows: [],
  }
  const labs: Table = {
    header: [
      'synthetic_patient_id',
      'lab_ts',
      'recorded_ts',
      'data_origin',
      'hba1c',
      'ldl_cholesterol',
    ],
    rows: [],
  }
  const outcomes: Table = {
    header: ['synthetic_patient_id', 'outcome_ts', 'recorded_ts', 'data_origin', 'adverse_event'],
    rows: [],
  }
  for (let i = 0; i < count; i++) {
    const p = makePatient(r, i)
    const n = r.int(3, 8)
    // Visits spread over ~2 years: a random first visit, then gaps of 1-5 months.
    let t = start + r.uniform(0, 120) * DAY_MS
    const times: number[] = []
    for (let v = 0; v < n; v++) {
      times.push(Math.round(t / 60_000) * 60_000)
      t += r.uniform(30, 150) * DAY_MS
    }
    for (const [v, ts] of times.entries()) {
      const years = (ts - start) / (365.25 * DAY_MS)
      const sbp = clamp(r.normal(at(p.sbp, years), 8), 85, 220)
      visits.rows.push([
        p.id,
        iso(ts),
        iso(ts + r.uniform(0, 48) * 3_600_000),
        'synthetic',
        Math.floor(p.ageAtStart + years),
        p.sex,
        p.smoker ? 'yes' : 'no',
        fixed(sbp, 0),
        fixed(clamp(sbp * 0.62 + r.normal(0, 6), 45, 130), 0),
        fixed(clamp(r.normal(p.hr, 6), 40, 160), 0),
        fixed(clamp(r.normal(at(p.bmi, years), 0.4), 15, 60), 1),
      ])
      if (r.chance(v === 0 ? 0.7 : 0.35)) {
        const labTs = ts + r.uniform(0, 3) * DAY_MS
        labs.rows.push([
          p.id,
          iso(labTs),
          iso(labTs + r.uniform(12, 96) * 3_600_000),
          'synthetic',
          fixed(clamp(r.normal(at(p.hba1c, years), 0.2), 4, 14), 1),
          fixed(clamp(r.normal(at(p.ldl, years), 12), 30, 300), 0),
        ])
      }
    }
    const index = r.int(1, n - 1)
    const indexTs = times[index] ?? start
    const outcomeTs = indexTs + Math.round(r.uniform(30, 180)) * DAY_MS
    const years = (indexTs - start) / (365.25 * DAY_MS)
    const event = r.chance(eventProbability(p, years)) ? 1 : 0
    outcomes.rows.push([
      p.id,
      iso(outcomeTs),
      iso(outcomeTs + r.uniform(1, 14) * DAY_MS),
      'synthetic',
      event,
    ])
  }
  return { synthetic_visits: visits, synthetic_labs: labs, synthetic_outcomes: outcomes }
}

const toCsv = ({ header, rows }: Table): string => csvText([header, ...rows])

/** The CSV text of each synthetic source. */
export const syntheticCsvs = (options: SyntheticOptions): Record<SyntheticSource, string> => {
  const tables = generateSyntheticTables(options)
  return {
    synthetic_visits: toCsv(tables.synthetic_visits),
    synthetic_labs: toCsv(tables.synthetic_labs),
    synthetic_outcomes: toCsv(tables.synthetic_outcomes),
  }
}

/** Writes the synthetic CSVs into `dir` (created if needed); returns source → file path. */
export const writeSyntheticCsvs = async (
  dir: string,
  options: SyntheticOptions,
): Promise<Record<SyntheticSource, string>> => {
  await mkdir(dir, { recursive: true })
  const csvs = syntheticCsvs(options)
  const out = {} as Record<SyntheticSource, string>
  for (const source of Object.keys(SYNTHETIC_FILES) as SyntheticSource[]) {
    const file = path.join(dir, SYNTHETIC_FILES[source])
    await writeFile(file, csvs[source])
    out[source] = file
  }
  return out
}
