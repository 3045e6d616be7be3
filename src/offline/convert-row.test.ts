import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { clinicFile, repoOf } from '../features/test-support.js'
import { checkHeader, makeRowConverter, requiredColumns } from './convert-row.js'

const record = (over: Record<string, string> = {}): Record<string, string> => ({
  pid: 'P1',
  ts: '2024-03-01T08:00:00',
  age: '63.0',
  chol: '0',
  smoker: 'TRUE',
  grade: 'None',
  Note: ' free text ',
  event: '1',
  ...over,
})

describe('makeRowConverter', () => {
  const convert = makeRowConverter(repoOf(clinicFile()), 'clinic')

  it('types one record into a row per view of the source', () => {
    const r = convert(record(), 7)
    expect(r).toEqual({
      ok: true,
      rows: [
        {
          view: 'vitals',
          row: {
            entityKey: 'P1',
            eventTs: new Date(Date.UTC(2024, 2, 1, 8)),
            createdTs: null,
            values: { age: 63, chol: null, smoker: true, grade: 'None', note: 'free text' },
          },
        },
        {
          view: 'outcome',
          row: {
            entityKey: 'P1',
            eventTs: new Date(Date.UTC(2024, 2, 1, 8)),
            createdTs: null,
            values: { event: 1 },
          },
        },
      ],
    })
  })

  it('rejects the whole record and lists every bad cell with row, column, value and reason', () => {
    const r = convert(
      record({ pid: '  ', ts: '2024-02-30', age: '1.5', chol: 'abc', grade: 'mid', event: '?' }),
      12,
    )
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.errors).toEqual([
      { row: 12, column: 'pid', value: '  ', reason: 'missing entity key (patient_id)' },
      {
        row: 12,
        column: 'ts',
        value: '2024-02-30',
        reason: 'not an ISO 8601 date-time (event timestamp)',
      },
      { row: 12, column: 'age', value: '1.5', reason: 'vitals:age: not an integer' },
      { row: 12, column: 'chol', value: 'abc', reason: 'vitals:chol: not a number (float)' },
      {
        row: 12,
        column: 'grade',
        value: 'mid',
        reason: 'vitals:grade: not a listed category: low, high, None',
      },
      {
        row: 12,
        column: 'event',
        value: '?',
        reason: 'outcome:event: missing value in a non-nullable field',
      },
    ])
  })

  it("rejects a key that is a source missing value ('?')", () => {
    expect(convert(record({ pid: '?' }), 3)).toEqual({
      ok: false,
      errors: [{ row: 3, column: 'pid', value: '?', reason: 'missing entity key (patient_id)' }],
    })
  })

  it('enforces an int entity type on keys, storing them unchanged as text', () => {
    const f = clinicFile()
    f.entities = [{ name: 'patient', join_key: 'patient_id', type: 'int' }]
    const conv = makeRowConverter(repoOf(f), 'clinic')
    const key = (pid: string) => {
      const r = conv(record({ pid }), 5)
      return r.ok ? r.rows.map((x) => x.row.entityKey) : r.errors
    }
    expect(key('007')).toEqual(['007', '007'])
    expect(key(' 7 ')).toEqual(['7', '7'])
    expect(key('-12')).toEqual(['-12', '-12'])
    for (const bad of ['abc', '7.0', '+7', '1e3', '0x1F', '7 8']) {
      expect(key(bad), bad).toEqual([
        {
          row: 5,
          column: 'pid',
          value: bad,
          reason: 'entity key (patient_id) is not an integer (entity patient has type int)',
        },
      ])
    }
    // A string entity accepts the same cells.
    expect(convert(record({ pid: 'abc' }), 5).ok).toBe(true)
  })

  it('reads a fixed event time before year 100 as written', () => {
    const f = clinicFile()
    f.sources = [
      {
        name: 'clinic',
        entity_columns: { patient_id: 'pid' },
        event_timestamp: { fixed: '0050-01-01T00:00:00Z' },
      },
    ]
    const r = makeRowConverter(repoOf(f), 'clinic')(record(), 1)
    expect(r.ok && r.rows[0]?.row.eventTs.toISOString()).toBe('0050-01-01T00:00:00.000Z')
  })

  it('uses the row number for $row keys, a fixed event time, and a created-timestamp column', () => {
    const f = clinicFile()
    f.sources = [
      {
        name: 'clinic',
        entity_columns: { patient_id: '$row' },
        event_timestamp: { fixed: '1988-07-01T00:00:00Z' },
        created_timestamp_column: 'written',
      },
    ]
    const conv = makeRowConverter(repoOf(f), 'clinic')
    const ok = conv(record({ written: '2024-01-02T03:04:05+01:00' }), 42)
    expect(ok.ok && ok.rows[0]?.row.entityKey).toBe('42')
    expect(ok.ok && ok.rows[0]?.row.eventTs.toISOString()).toBe('1988-07-01T00:00:00.000Z')
    expect(ok.ok && ok.rows[0]?.row.createdTs?.toISOString()).toBe('2024-01-02T02:04:05.000Z')
    expect(conv(record({ written: '' }), 1)).toMatchObject({
      ok: true,
      rows: [{ row: { createdTs: null } }, {}],
    })
    expect(conv(record({ written: 'yesterday' }), 1)).toMatchObject({
      ok: false,
      errors: [{ column: 'written', reason: 'not an ISO 8601 date-time (created timestamp)' }],
    })
  })

  it('property: any record of valid cells converts, and the key is the trimmed cell', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }).filter((s) => s.trim() !== '' && s.trim() !== '?'),
        fc.integer({ min: 0, max: 120 }),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.constantFrom('low', 'high', 'None', '', '?'),
        (pid, age, chol, grade) => {
          const r = convert(record({ pid, age: String(age), chol: String(chol), grade }), 1)
          if (!r.ok) return false
          const v = r.rows[0]?.row
          return (
            v?.entityKey === pid.trim() &&
            v.values.age === age &&
            v.values.chol === (chol === 0 ? null : chol) &&
            v.values.grade === (grade === '' || grade === '?' ? null : grade)
          )
        },
      ),
    )
  })
})

describe('checkHeader', () => {
  const repo = repoOf(clinicFile())

  it('lists the columns a source needs', () => {
    expect(requiredColumns(repo, 'clinic').map((c) => c.column)).toEqual([
      'pid',
      'ts',
      'age',
      'chol',
      'smoker',
      'grade',
      'Note',
      'event',
    ])
  })

  it('names every missing and duplicated column, and accepts extra ones', () => {
    expect(() => checkHeader(repo, 'clinic', Object.keys(record()).concat('extra'))).not.toThrow()
    expect(() =>
      checkHeader(repo, 'clinic', ['pid', 'ts', 'age', 'age', 'smoker', 'grade', 'note', 'event']),
    ).toThrow(
      "source clinic: header has missing column(s) 'chol' (vitals:chol), 'Note' (vitals:note); duplicated column(s) 'age'",
    )
    expect(() => checkHeader(repo, 'nope', [])).toThrow("unknown source 'nope'")
  })
})
