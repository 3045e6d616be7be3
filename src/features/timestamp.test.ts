import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseTimestamp } from './timestamp.js'

const ms = (s: string) => parseTimestamp(s)?.getTime()

describe('parseTimestamp', () => {
  it('treats a missing zone as UTC and applies offsets', () => {
    expect(ms('2024-03-01')).toBe(Date.UTC(2024, 2, 1))
    expect(ms('2024-03-01T08:30')).toBe(Date.UTC(2024, 2, 1, 8, 30))
    expect(ms('2024-03-01 08:30:05')).toBe(Date.UTC(2024, 2, 1, 8, 30, 5))
    expect(ms('2024-03-01T08:30:05.25Z')).toBe(Date.UTC(2024, 2, 1, 8, 30, 5, 250))
    expect(ms('2024-03-01T08:30:00+02:00')).toBe(Date.UTC(2024, 2, 1, 6, 30))
    expect(ms('2024-03-01T08:30:00-0130')).toBe(Date.UTC(2024, 2, 1, 10, 0))
  })

  it('rejects impossible or non-ISO dates instead of rolling them over', () => {
    for (const bad of [
      '2023-02-29',
      '2024-13-01',
      '2024-01-01T24:00',
      '01/02/2024',
      '2024-1-1',
      '',
      'now',
      '2024-01-01T00:00+25:00',
    ]) {
      expect(parseTimestamp(bad), bad).toBeUndefined()
    }
    expect(ms('2024-02-29')).toBe(Date.UTC(2024, 1, 29))
  })

  it('reads years 0001-0099 as written, not as 19xx', () => {
    const year = (s: string) => parseTimestamp(s)?.getUTCFullYear()
    expect(year('0050-06-15')).toBe(50)
    expect(year('0099-12-31T23:59:59Z')).toBe(99)
    expect(year('0001-01-01T00:00:00Z')).toBe(1)
    expect(parseTimestamp('0050-06-15T12:00:00Z')?.toISOString()).toBe('0050-06-15T12:00:00.000Z')
    // 0004 is a leap year in the proleptic Gregorian calendar, 0100 is not.
    expect(year('0004-02-29')).toBe(4)
    expect(parseTimestamp('0100-02-29')).toBeUndefined()
  })

  it('refuses instants outside the years 0001-9999 in UTC, which Postgres cannot read back', () => {
    for (const outside of [
      '0000-06-01',
      '0001-01-01T00:30+01:00', // 0000-12-31T23:30Z
      '9999-12-31T23:59:59-01:00', // 10000-01-01T00:59:59Z
    ]) {
      expect(parseTimestamp(outside), outside).toBeUndefined()
    }
    expect(parseTimestamp('0001-01-01T00:00:00Z')?.toISOString()).toBe('0001-01-01T00:00:00.000Z')
    expect(parseTimestamp('9999-12-31T23:59:59.999Z')?.toISOString()).toBe(
      '9999-12-31T23:59:59.999Z',
    )
  })

  it('property: round-trips every toISOString() output', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('0001-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59.999Z'),
          noInvalidDate: true,
        }),
        (d) => parseTimestamp(d.toISOString())?.getTime() === d.getTime(),
      ),
    )
  })
})
