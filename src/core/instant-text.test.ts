import { describe, expect, it } from 'vitest'
import { lastInstantText } from './instant-text.js'

describe('lastInstantText', () => {
  it('gives toISOString of every date asked for, repeated or not', () => {
    const iso = lastInstantText()
    const times = [0, 0, 1, 1, 0, -62_167_219_200_000, 253_402_300_799_999, 1]
    for (const ms of times) expect(iso(new Date(ms))).toBe(new Date(ms).toISOString())
  })

  it('never answers an invalid date from memory', () => {
    const iso = lastInstantText()
    expect(() => iso(new Date(Number.NaN))).toThrow(RangeError)
    iso(new Date(0))
    expect(() => iso(new Date(Number.NaN))).toThrow(RangeError)
  })
})
