import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { openCsv } from '../core/csv-input.js'
import { checkHeader, makeRowConverter, type RowError } from '../offline/convert-row.js'
import type { FeatureValue } from '../offline/offline-store.js'
import { loadFeatureRepo } from './load.js'
import type { FeatureRepo } from './repo.js'

/**
 * The definitions in features/ against the real files in ../shared/data: every row of every file
 * converts without an error, and the quirks listed in ../shared/data/README.md come out right.
 * Expected counts are the README's (computed there with Python's csv module), not this code's.
 */
const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
const dataFile = (name: string) =>
  fileURLToPath(new URL(`../../../shared/data/${name}`, import.meta.url))

interface Converted {
  rows: number
  errors: RowError[]
  /** view → entity key → values */
  values: Map<string, Map<string, Record<string, FeatureValue>>>
  raw: Map<string, Record<string, string>>
}

/** Streams a real CSV through the converter, keeping every typed row (they fit in memory). */
const convertFile = async (
  repo: FeatureRepo,
  source: string,
  file: string,
  keyColumn?: string,
): Promise<Converted> => {
  const convert = makeRowConverter(repo, source)
  const out: Converted = { rows: 0, errors: [], values: new Map(), raw: new Map() }
  const csv = await openCsv(file)
  let header: string[] | undefined
  for await (const batch of csv.batches)
    for (const cells of batch) {
      if (!header) {
        header = cells
        checkHeader(repo, source, header)
        continue
      }
      const record = Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']))
      out.rows++
      const r = convert(record, out.rows)
      if (!r.ok) {
        out.errors.push(...r.errors)
        continue
      }
      for (const { view, row } of r.rows) {
        const byKey = out.values.get(view) ?? new Map<string, Record<string, FeatureValue>>()
        byKey.set(row.entityKey, row.values)
        out.values.set(view, byKey)
      }
      if (keyColumn) out.raw.set(record[keyColumn] ?? '', record)
    }
  return out
}

const column = (c: Converted, view: string, field: string): FeatureValue[] =>
  [...(c.values.get(view)?.values() ?? [])].map((v) => v[field] ?? null)
const count = (values: FeatureValue[], target: FeatureValue) =>
  values.filter((v) => v === target).length

let repo: FeatureRepo
beforeAll(async () => {
  repo = await loadFeatureRepo(`${repoRoot}features`, 'features')
})

describe('heart_uci (heart_disease_uci.csv)', () => {
  let c: Converted
  beforeAll(async () => {
    c = await convertFile(repo, 'heart_uci', dataFile('heart_disease_uci.csv'), 'id')
  })
  const heart = (id: number) => c.values.get('heart')?.get(String(id))

  it('converts all 920 rows with zero errors into every view', () => {
    expect(c.errors).toEqual([])
    expect(c.rows).toBe(920)
    for (const v of ['heart', 'heart_site', 'heart_diagnosis'])
      expect(c.values.get(v)?.size).toBe(920)
  })

  it('reads chol 0 and trestbps 0 as missing, next to the empty fields', () => {
    expect(heart(598)?.chol).toBeNull() // a Switzerland row: chol 0
    expect(c.raw.get('598')?.chol).toBe('0')
    expect(count(column(c, 'heart', 'chol'), null)).toBe(172 + 30)
    expect(heart(754)?.trestbps).toBeNull()
    expect(count(column(c, 'heart', 'trestbps'), null)).toBe(1 + 59)
    expect(heart(1)).toMatchObject({
      age: 63,
      sex: 'Male',
      chol: 233,
      fbs: true,
      exang: false,
      thal: 'fixed defect',
    })
    for (const [field, n] of [
      ['ca', 611],
      ['thal', 486],
      ['slope', 309],
      ['fbs', 90],
      ['oldpeak', 62],
      ['thalch', 55],
      ['exang', 55],
      ['restecg', 2],
    ] as const) {
      expect(count(column(c, 'heart', field), null), field).toBe(n)
    }
  })

  it('keeps negative oldpeak values, including exactly -1', () => {
    expect(heart(656)?.oldpeak).toBe(-1)
    expect(heart(657)?.oldpeak).toBe(-1)
    expect(heart(616)?.oldpeak).toBe(-2.6)
    expect(
      column(c, 'heart', 'oldpeak').filter((v) => typeof v === 'number' && v < 0),
    ).toHaveLength(12)
  })

  it('keeps the site as a grouping attribute and num as the label', () => {
    const site = column(c, 'heart_site', 'site')
    expect([
      count(site, 'Cleveland'),
      count(site, 'Hungary'),
      count(site, 'VA Long Beach'),
      count(site, 'Switzerland'),
    ]).toEqual([304, 293, 200, 123])
    // README: id 304 is a Hungarian record labelled Cleveland; stored as in the file, documented.
    expect(c.raw.get('304')).toMatchObject({ age: '28', trestbps: '130', chol: '132' })
    expect(heart(304)).toMatchObject({ age: 28, trestbps: 130, chol: 132 })
    expect(c.values.get('heart_site')?.get('304')?.site).toBe('Cleveland')
    expect(repo.view('heart_site').description).toMatch(
      /id 304 says Cleveland but is a Hungarian record.*no per-row override/,
    )
    const num = column(c, 'heart_diagnosis', 'num')
    expect([0, 1, 2, 3, 4].map((k) => count(num, k))).toEqual([411, 265, 109, 107, 28])
  })
})

describe('heart_cleveland (processed.cleveland.csv)', () => {
  let c: Converted
  let uci: Converted
  beforeAll(async () => {
    c = await convertFile(repo, 'heart_cleveland', dataFile('processed.cleveland.csv'))
    uci = await convertFile(repo, 'heart_uci', dataFile('heart_disease_uci.csv'))
  })

  it('converts all 303 rows with zero errors, ? as missing (4 in ca, 2 in thal)', () => {
    expect(c.errors).toEqual([])
    expect(c.rows).toBe(303)
    for (const v of ['cleveland', 'cleveland_diagnosis']) expect(c.values.get(v)?.size).toBe(303)
    expect(count(column(c, 'cleveland', 'ca'), null)).toBe(4)
    expect(count(column(c, 'cleveland', 'thal'), null)).toBe(2)
    const nulls = [...(c.values.get('cleveland')?.values() ?? [])].flatMap((r) =>
      Object.values(r).filter((v) => v === null),
    )
    expect(nulls).toHaveLength(6)
    expect(c.values.get('cleveland')?.get('1')).toEqual({
      age: 63,
      male: true,
      cp: '1.0',
      trestbps: 145,
      chol: 233,
      fbs: true,
      restecg: '2.0',
      thalach: 150,
      exang: false,
      oldpeak: 2.3,
      slope: '3.0',
      ca: '0.0',
      thal: '6.0',
    })
    const num = column(c, 'cleveland_diagnosis', 'num')
    expect([0, 1, 2, 3, 4].map((k) => count(num, k))).toEqual([164, 55, 36, 35, 13])
  })

  it('matches heart_uci ids 1-303 row for row, once text categories map to UCI codes', () => {
    // README: rows 1-303 of heart_disease_uci.csv are this file, categories written out as text.
    const codes: Record<string, Record<string, string>> = {
      cp: {
        'typical angina': '1.0',
        'atypical angina': '2.0',
        'non-anginal': '3.0',
        asymptomatic: '4.0',
      },
      restecg: { normal: '0.0', 'st-t abnormality': '1.0', 'lv hypertrophy': '2.0' },
      slope: { upsloping: '1.0', flat: '2.0', downsloping: '3.0' },
      thal: { normal: '3.0', 'fixed defect': '6.0', 'reversable defect': '7.0' },
    }
    const asCleveland = (h: Record<string, FeatureValue>): Record<string, FeatureValue> => {
      const code = (f: string) => {
        const v = h[f]
        return typeof v === 'string' ? (codes[f]?.[v] ?? `unmapped ${v}`) : null
      }
      return {
        age: h.age ?? null,
        male: h.sex === 'Male',
        cp: code('cp'),
        trestbps: h.trestbps ?? null,
        chol: h.chol ?? null,
        fbs: h.fbs ?? null,
        restecg: code('restecg'),
        thalach: h.thalch ?? null,
        exang: h.exang ?? null,
        oldpeak: h.oldpeak ?? null,
        slope: code('slope'),
        ca: typeof h.ca === 'number' ? h.ca.toFixed(1) : null,
        thal: code('thal'),
      }
    }
    for (let id = 1; id <= 303; id++) {
      const h = uci.values.get('heart')?.get(String(id)) ?? {}
      expect(c.values.get('cleveland')?.get(String(id)), `row ${id}`).toEqual(asCleveland(h))
      expect(c.values.get('cleveland_diagnosis')?.get(String(id))?.num, `row ${id}`).toBe(
        uci.values.get('heart_diagnosis')?.get(String(id))?.num,
      )
    }
  })
})

describe('pima (pima_diabetes.csv)', () => {
  let c: Converted
  beforeAll(async () => {
    c = await convertFile(repo, 'pima', dataFile('pima_diabetes.csv'))
  })

  it('converts all 768 rows, keyed by row number', () => {
    expect(c.errors).toEqual([])
    expect(c.rows).toBe(768)
    expect([...(c.values.get('pima')?.keys() ?? [])].slice(0, 3)).toEqual(['1', '2', '3'])
    expect(c.values.get('pima')?.get('768')).toMatchObject({
      pregnancies: 1,
      glucose: 93,
      bmi: 30.4,
      age: 23,
    })
  })

  it('reads zeros as missing in physiologic columns but not in pregnancies', () => {
    for (const [field, n] of [
      ['glucose', 5],
      ['blood_pressure', 35],
      ['skin_thickness', 227],
      ['insulin', 374],
      ['bmi', 11],
    ] as const) {
      expect(count(column(c, 'pima', field), null), field).toBe(n)
      expect(count(column(c, 'pima', field), 0), field).toBe(0)
    }
    expect(count(column(c, 'pima', 'pregnancies'), 0)).toBe(111)
    expect(count(column(c, 'pima_outcome', 'outcome'), 1)).toBe(268)
  })
})

describe('diabetic_encounters (diabetic_data.csv, all 101,766 rows)', () => {
  let c: Converted
  beforeAll(async () => {
    c = await convertFile(repo, 'diabetic_encounters', dataFile('diabetic_data.csv'))
  }, 60_000)

  it('converts every row with zero errors into every view', () => {
    expect(c.errors).toEqual([])
    expect(c.rows).toBe(101_766)
    for (const v of repo.viewsOfSource('diabetic_encounters'))
      expect(c.values.get(v.name)?.size, v.name).toBe(101_766)
  })

  it("keeps 'None' as a category and reads '?' as missing", () => {
    expect(count(column(c, 'encounter', 'max_glu_serum'), 'None')).toBe(96_420)
    expect(count(column(c, 'encounter', 'a1c_result'), 'None')).toBe(84_748)
    for (const [view, field, n] of [
      ['encounter', 'weight', 98_569],
      ['encounter', 'medical_specialty', 49_949],
      ['encounter', 'payer_code', 40_256],
      ['encounter', 'race', 2_273],
      ['encounter', 'diag_3', 1_423],
      ['encounter', 'diag_2', 358],
      ['encounter', 'diag_1', 21],
      ['encounter', 'gender', 3],
    ] as const) {
      expect(count(column(c, view, field), null), field).toBe(n)
    }
  })

  it('keeps ICD-9 codes as strings, patients for grouped splits, and the 3-class label', () => {
    expect(c.values.get('encounter')?.get('2278392')).toMatchObject({
      diag_1: '250.83',
      diag_2: null,
      diag_3: null,
    })
    expect(c.values.get('encounter')?.get('2278392')).toMatchObject({
      admission_type_id: '6',
      discharge_disposition_id: '25',
    })
    expect(
      column(c, 'encounter', 'diag_2').some((v) => typeof v === 'string' && v.startsWith('E')),
    ).toBe(true)
    expect(new Set(column(c, 'encounter', 'patient_nbr')).size).toBe(71_518)
    const label = column(c, 'readmission', 'readmitted')
    expect([count(label, 'NO'), count(label, '>30'), count(label, '<30')]).toEqual([
      54_864, 35_545, 11_357,
    ])
    expect(count(column(c, 'encounter', 'diabetes_med'), true)).toBe(78_363)
  })
})
