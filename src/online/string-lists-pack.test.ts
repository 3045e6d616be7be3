import { decode } from '@msgpack/msgpack'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { packStringLists } from './string-lists-pack.js'

describe('packStringLists', () => {
  it('writes array 32 and str 32 headers with big-endian lengths, strings as UTF-8', () => {
    const bytes = [...packStringLists([['a', 'é'], []])]
    const outer = [0xdd, 0, 0, 0, 2]
    const first = [0xdd, 0, 0, 0, 2]
    const a = [0xdb, 0, 0, 0, 1, 0x61]
    const e = [0xdb, 0, 0, 0, 2, 0xc3, 0xa9] // 'é' is 2 bytes in UTF-8
    const second = [0xdd, 0, 0, 0, 0]
    expect(bytes).toEqual([...outer, ...first, ...a, ...e, ...second])
  })

  it('round-trips any lists of Unicode strings through a MessagePack library', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 40 })
    fc.assert(
      fc.property(fc.array(fc.array(text, { maxLength: 20 }), { maxLength: 4 }), (lists) => {
        expect(decode(packStringLists(lists))).toEqual(lists)
      }),
      { numRuns: 500 },
    )
  })

  it('writes a lone surrogate as U+FFFD, as a string argument of ioredis is written', () => {
    expect(decode(packStringLists([['a\ud800b']]))).toEqual([['a\ufffdb']])
  })

  it('returns buffers of their own: the next call does not overwrite an earlier result', () => {
    const first = packStringLists([['x'.repeat(1000)]])
    const copy = Buffer.from(first)
    packStringLists([['y'.repeat(5000)]])
    expect(first.equals(copy)).toBe(true)
  })
})
