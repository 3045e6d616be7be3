import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { csvObjects } from '../core/csv-text.js'
import { mulberry32 } from '../core/random.js'
import { loadFeatureRepo } from '../features/load.js'
import { makeRowConverter } from '../offline/convert-row.js'
import {
  SYNTHETIC_FILES,
  type SyntheticSource,
  syntheticCsvs,
  writeSyntheticCsvs,
} from './synthetic-patients.js'

const records = csvObjects
const DAY = 86_400_000

describe('synthetic patients', () => {
  const csvs = syntheticCsvs({ seed: 7, patients: 400 })

  it('mulberry32 is seeded and uniform-ish in [0, 1)', () => {
    const a = mulberry32(1)
    const b = mulberry32(1)
    const xs = Array.from({ length: 10_000 }, () => a())
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b()))
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...xs)).toBeLessThan(1)
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01)
  })

  it('is deterministic: same seed → byte-identical CSV, other seed → different', async () => {
    expect(syntheticCsvs({ seed: 7, patients: 400 })).toEqual(csvs)
    expect(syntheticCsvs({ seed: 8, patients: 400 }).synthetic_visits).not.toBe(
      csvs.synthetic_visits,
    )
    const dir = await mkdtemp(path.join(tmpdir(), 'ward-synthetic-'))
    try {
      const files = await writeSyntheticCsvs(dir, { seed: 7, patients: 400 })
      for (const source of Object.keys(SYNTHETIC_FILES) as SyntheticSource[]) {
        expect(path.basename(files[source])).toMatch(/^synthetic_/)
        expect(await readFile(files[source], 'utf8')).toBe(csvs[source])
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('is labelled synthetic in every row', () => {
    for (const csv of Object.values(csvs)) {
      for (const r of records(csv)) {
        expect(r.data_origin).toBe('synthetic')
        expect(r.synthetic_patient_id).toMatch(/^SYN-\d{5}$/)
      }
    }
  })

  it('converts with zero errors under features/synthetic.yaml', async () => {
    const repo = await loadFeatureRepo(
      fileURLToPath(new URL('../../features', import.meta.url)),
      'features',
    )
    for (const source of Object.keys(SYNTHETIC_FILES) as SyntheticSource[]) {
      const convert = makeRowConverter(repo, source)
      const errors = records(csvs[source]).flatMap((r, i) => {
        const out = convert(r, i + 1)
        return out.ok ? [] : out.errors
      })
      expect(errors, source).toEqual([])
    }
  })

  it('has the time structure that makes point-in-time joins matter', () => {
    const visits = records(csvs.synthetic_visits)
    const labs = records(csvs.synthetic_labs)
    const outcomes = records(csvs.synthetic_outcomes)
    const t = (s: string | undefined) => new Date(s ?? '').getTime()
    const visitTimes = new Map<string, number[]>()
    for (const v of visits) {
      const id = v.synthetic_patient_id ?? ''
      visitTimes.set(id, [...(visitTimes.get(id) ?? []), t(v.visit_ts)])
      expect(t(v.recorded_ts)).toBeGreaterThanOrEqual(t(v.visit_ts))
    }
    expect(outcomes).toHaveLength(400)
    const counts = [...visitTimes.values()].map((ts) => ts.length)
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(3)
    expect(Math.max(...counts)).toBeLessThanOrEqual(8)
    const all = [...visitTimes.values()].flat()
    const spanDays = (Math.max(...all) - Math.min(...all)) / DAY
    expect(spanDays).toBeGreaterThan(365)
    expect(spanDays).toBeLessThan(3 * 365)
    // Labs only at some visits.
    expect(labs.length).toBeGreaterThan(visits.length * 0.3)
    expect(labs.length).toBeLessThan(visits.length * 0.6)
    let visitsAfterOutcome = 0
    for (const o of outcomes) {
      const ts = visitTimes.get(o.synthetic_patient_id ?? '') ?? []
      const outcomeAt = t(o.outcome_ts)
      expect(ts.filter((x) => x < outcomeAt).length).toBeGreaterThanOrEqual(2)
      expect(t(o.recorded_ts)).toBeGreaterThan(outcomeAt)
      if (ts.some((x) => x > outcomeAt)) visitsAfterOutcome++
    }
    // Most patients have visits after their outcome: a latest-value join would leak them.
    expect(visitsAfterOutcome / outcomes.length).toBeGreaterThan(0.5)
    const rate = outcomes.filter((o) => o.adverse_event === '1').length / outcomes.length
    expect(rate).toBeGreaterThan(0.05)
    expect(rate).toBeLessThan(0.6)
  })
})
