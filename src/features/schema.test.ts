import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { timestampSpecSchema } from './schema.js'
import { parseTimestamp } from './timestamp.js'

const fixedAccepted = (fixed: string): boolean => timestampSpecSchema.safeParse({ fixed }).success

describe('timestampSpecSchema fixed', () => {
  it('accepts exactly what parseTimestamp reads, including years before 100', () => {
    for (const ok of [
      '1988-07-01T00:00:00Z',
      '0050-01-01T00:00:00Z',
      '2024-03-01',
      '2024-03-01 08:30+0200',
    ])
      expect(fixedAccepted(ok), ok).toBe(true)
    for (const bad of ['2023-02-29T00:00:00Z', '2024-01-01T24:00', '1988', 'July 1988', ''])
      expect(fixedAccepted(bad), bad).toBe(false)
    const issue = timestampSpecSchema.safeParse({ fixed: '2023-02-29' }).error?.issues[0]
    expect(issue?.path).toEqual(['fixed'])
    expect(issue?.message).toMatch(/ISO 8601/)
  })

  it('property: the schema and parseTimestamp agree on timestamp-shaped text', () => {
    const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'))
    const text = fc
      .tuple(
        fc.integer({ min: 0, max: 9999 }).map((n) => String(n).padStart(4, '0')),
        two(13),
        two(32),
        fc.option(fc.tuple(fc.constantFrom('T', ' '), two(24), two(60), fc.option(two(60)))),
        fc.constantFrom('', 'Z', '+02:00', '-0530', '+25:00'),
      )
      .map(([y, mo, d, time, zone]) => {
        const t = time ? `${time[0]}${time[1]}:${time[2]}${time[3] ? `:${time[3]}` : ''}` : ''
        return `${y}-${mo}-${d}${t}${zone}`
      })
    fc.assert(
      fc.property(text, (s) => fixedAccepted(s) === (parseTimestamp(s) !== undefined)),
      { numRuns: 500 },
    )
  })
})
