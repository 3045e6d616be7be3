import { describe, expect, it } from 'vitest'
import { AppError } from '../core/errors.js'
import { listOption, timestampOption } from './parse-options.js'

describe('timestampOption', () => {
  it('reads ISO 8601, a time without a zone as UTC', () => {
    expect(timestampOption('end', '2024-03-01T12:00:00').toISOString()).toBe(
      '2024-03-01T12:00:00.000Z',
    )
    expect(timestampOption('end', '2024-03-01T12:00:00+02:00').toISOString()).toBe(
      '2024-03-01T10:00:00.000Z',
    )
  })

  it('reads `now` as the current time', () => {
    const before = Date.now()
    const at = timestampOption('end', 'now').getTime()
    expect(at).toBeGreaterThanOrEqual(before)
    expect(at).toBeLessThanOrEqual(Date.now())
  })

  it('names the option of a value it cannot read', () => {
    expect(() => timestampOption('start', 'yesterday')).toThrow(AppError)
    expect(() => timestampOption('start', 'yesterday')).toThrow(/^--start: 'yesterday'/)
  })
})

describe('listOption', () => {
  it('splits on commas, trims and drops empty entries', () => {
    expect(listOption(' a, b,,c ,')).toEqual(['a', 'b', 'c'])
  })
})
