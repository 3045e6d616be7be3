import { describe, expect, it } from 'vitest'
import { loadCleveland, loadDiabetic, loadHeart, loadPima } from './real-data.js'

/** Facts from ../shared/data/README.md, an oracle independent of the encoder. */
const missingCount = (rows: (number | null)[][], j: number): number =>
  rows.filter((r) => r[j] === null).length

describe('real-data encodings', () => {
  it('heart: 920 rows, 509 positive, README missing counts (chol 0 and trestbps 0 as missing)', () => {
    const d = loadHeart()
    expect(d.rows.length).toBe(920)
    expect(d.label.reduce((a, b) => a + b)).toBe(509)
    const col = (c: string) => missingCount(d.rows, d.columns.indexOf(c))
    expect(col('ca')).toBe(611)
    expect(col('thal')).toBe(486)
    expect(col('chol')).toBe(30 + 172)
    expect(col('trestbps')).toBe(59 + 1)
    expect(d.classes?.filter((c) => c === 4).length).toBe(28)
  })

  it('pima: 768 rows, 268 positive, zeros in physiologic columns are missing', () => {
    const d = loadPima()
    expect(d.rows.length).toBe(768)
    expect(d.label.reduce((a, b) => a + b)).toBe(268)
    const expected = { Glucose: 5, BloodPressure: 35, SkinThickness: 227, Insulin: 374, BMI: 11 }
    for (const [c, n] of Object.entries(expected)) {
      expect(missingCount(d.rows, d.columns.indexOf(c))).toBe(n)
    }
    expect(missingCount(d.rows, d.columns.indexOf('Pregnancies'))).toBe(0)
  })

  it('cleveland: 303 rows x 13, 139 positive, 6 missing cells', () => {
    const d = loadCleveland()
    expect(d.columns.length).toBe(13)
    expect(d.label.reduce((a, b) => a + b)).toBe(139)
    expect(d.rows.flat().filter((v) => v === null).length).toBe(6)
  })

  it('diabetic: a deterministic slice of more than 10,000 rows', () => {
    const d = loadDiabetic()
    expect(d.rows.length).toBe(Math.ceil(101_766 / 10))
    expect(d.columns.length).toBeGreaterThanOrEqual(20)
    // README: 11.2 % of all encounters are readmitted within 30 days.
    const rate = d.label.reduce((a, b) => a + b) / d.rows.length
    expect(rate).toBeGreaterThan(0.1)
    expect(rate).toBeLessThan(0.125)
  })
})
