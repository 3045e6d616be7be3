import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isAppError } from '../core/errors.js'
import type { OnlineView } from './online-store.js'
import { decodeRedisRow, makeRedisRowEncoder, ROW_TS_FROM, ROW_TS_TO } from './redis-row-codec.js'

const view: OnlineView = {
  name: 'vitals',
  ttl: 60,
  fields: [
    { name: 'hr', type: 'int' },
    { name: 'temp', type: 'float' },
    { name: 'smoker', type: 'bool' },
    { name: 'constructor', type: 'string' },
  ],
}
const ts = new Date('2024-03-01T12:00:00.000Z')
const now = ts.getTime()

describe('redis row codec', () => {
  it('writes _ts first at a fixed offset, then non-null features with JSON types', () => {
    const text = makeRedisRowEncoder(view)({
      entityKey: 'p1',
      eventTs: ts,
      createdTs: null,
      values: { hr: 72, temp: null, smoker: false, constructor: 'a\nb"' },
    })
    expect(text).toBe(
      '{"_ts":"2024-03-01T12:00:00.000Z","hr":72,"smoker":false,"constructor":"a\\nb\\""}',
    )
    expect(text.slice(ROW_TS_FROM - 1, ROW_TS_TO)).toBe(ts.toISOString())
  })

  it('encodes every row of a long batch on its own: no piece of an earlier row, quotes as JSON', () => {
    const text: OnlineView = {
      name: 'notes',
      ttl: 0,
      fields: [
        { name: 'kind', type: 'categorical' },
        { name: 'n', type: 'int' },
        { name: 'note', type: 'string' },
      ],
    }
    const value = fc.option(fc.oneof(fc.constantFrom('A', 'B', '"q"'), fc.string()), {
      nil: null,
    })
    const values = fc.record({
      kind: value,
      n: fc.option(fc.integer(), { nil: null }),
      note: value,
    })
    fc.assert(
      fc.property(fc.array(values, { minLength: 1, maxLength: 6000 }), (batch) => {
        // One encoder for the whole batch, as a write uses it: past its 4,096 remembered quotes.
        const encode = makeRedisRowEncoder(text)
        for (const v of batch) {
          const row = JSON.parse(
            encode({ entityKey: 'k', eventTs: ts, createdTs: null, values: v }),
          )
          const present = Object.entries(v).filter(([, x]) => x !== null)
          expect(row).toEqual({ _ts: ts.toISOString(), ...Object.fromEntries(present) })
          expect(Object.keys(row)).toEqual(['_ts', ...present.map(([k]) => k)])
        }
      }),
      { numRuns: 30 },
    )
  })

  it('writes each row with its own event time, and refuses one outside years 0–9999', () => {
    const encode = makeRedisRowEncoder(view)
    const values = { hr: null, temp: null, smoker: null, constructor: null }
    const row = (eventTs: Date) => ({ entityKey: 'p1', eventTs, createdTs: null, values })
    const later = new Date('2024-03-02T00:00:00.000Z')
    for (const t of [ts, ts, later, ts]) {
      expect(encode(row(t))).toBe(`{"_ts":"${t.toISOString()}"}`)
    }
    for (const bad of [new Date(Number.NaN), new Date('+010000-01-01T00:00:00Z')]) {
      expect(() => encode(row(bad))).toThrow(
        expect.toSatisfy((e: unknown) => isAppError(e) && e.code === 'VALIDATION'),
      )
    }
  })

  it('reads an absent member as null, not as an inherited property', () => {
    const r = decodeRedisRow(
      view,
      view.fields,
      'p1',
      '{"_ts":"2024-03-01T12:00:00.000Z","hr":72}',
      now,
    )
    expect(r).toEqual({
      status: 'present',
      entityKey: 'p1',
      eventTs: ts,
      values: { hr: 72, temp: null, smoker: null, constructor: null },
    })
  })

  it('decodes a JSON type that does not fit like the text form, and rejects what is no value', () => {
    const migrated = '{"_ts":"2024-03-01T12:00:00.000Z","hr":"72","smoker":"true","constructor":5}'
    expect(decodeRedisRow(view, view.fields, 'p1', migrated, now)).toMatchObject({
      values: { hr: 72, smoker: true, constructor: '5' },
    })
    const conflict = (text: string) => () => decodeRedisRow(view, view.fields, 'p1', text, now)
    const isConflict = (e: unknown) => isAppError(e) && e.code === 'CONFLICT'
    expect(conflict('{"_ts":"2024-03-01T12:00:00.000Z","hr":1.5}')).toThrow(
      expect.toSatisfy(isConflict),
    )
    expect(conflict('{"_ts":"2024-03-01T12:00:00.000Z","hr":[1]}')).toThrow(
      expect.toSatisfy(isConflict),
    )
    expect(conflict('plain string')).toThrow(expect.toSatisfy(isConflict))
    expect(conflict('{"hr":1}')).toThrow(expect.toSatisfy(isConflict))
  })

  it('withholds values of a stale row and refuses a field named _ts', () => {
    const text = '{"_ts":"2024-03-01T12:00:00.000Z","hr":72}'
    expect(decodeRedisRow(view, view.fields, 'p1', text, now + 60_001)).toEqual({
      status: 'stale',
      entityKey: 'p1',
      eventTs: ts,
    })
    expect(decodeRedisRow(view, view.fields, 'p1', null, now)).toEqual({
      status: 'not_found',
      entityKey: 'p1',
    })
    const bad: OnlineView = { ...view, fields: [{ name: '_ts', type: 'string' }] }
    expect(() => makeRedisRowEncoder(bad)).toThrow(
      expect.toSatisfy((e: unknown) => isAppError(e) && e.code === 'UNSUPPORTED'),
    )
  })
})
