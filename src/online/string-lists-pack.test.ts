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
    // Any UTF-16, also 3-byte characters at the length bound and lone surrogates of both halves.
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.string({ unit: fc.constantFrom('€', '\ud800', '\udc00', 'a'), maxLength: 30 }),
    )
    const wellFormed = (s: string) => s.replace(/\p{Cs}/gu, '\ufffd')
    fc.assert(
      fc.property(fc.array(text, { maxLength: 10 }), (list) => {
        const bytes = packStringLists([list])
        expect(decode(bytes)).toEqual([list.map(wellFormed)])
        const payload = list.reduce((n, s) => n + 5 + Buffer.byteLength(s), 10)
        expect(bytes.length).toBe(payload)
      }),
      { numRuns: 500 },
    )
  })

  it('packs a batch larger than its shared buffer into a buffer of its own', () => {
    const long = 'é'.repeat(2_000_000) // 4 MB of UTF-8, a 6 MB bound: twice over the limit
    const bytes = packStringLists([[long, long]])
    expect(decode(bytes)).toEqual([[long, long]])
    expect(
      packStringLists([['x']]).equals(
        Buffer.from([0xdd, 0, 0, 0, 1, 0xdd, 0, 0, 0, 1, 0xdb, 0, 0, 0, 1, 0x78]),
      ),
    ).toBe(true)
  })

  it('returns buffers of their own: the next call does not overwrite an earlier result', () => {
    const first = packStringLists([['x'.repeat(1000)]])
    const copy = Buffer.from(first)
    packStringLists([['y'.repeat(5000)]])
    expect(first.equals(copy)).toBe(true)
  })
})
