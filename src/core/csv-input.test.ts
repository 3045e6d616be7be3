import { createHash } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import fc from 'fast-check'
import Papa from 'papaparse'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openCsv } from './csv-input.js'

let dir = ''
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ward-csv-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const write = async (name: string, content: string | Buffer): Promise<string> => {
  const f = path.join(dir, name)
  await writeFile(f, content)
  return f
}

/** Reads every record; `slowly` waits after each batch, so the reader falls behind the file. */
const readAll = async (file: string, slowly = false, readBytes?: number) => {
  const csv = await openCsv(file, { readBytes })
  const records: string[][] = []
  let batches = 0
  for await (const batch of csv.batches) {
    batches += 1
    records.push(...batch)
    if (slowly) await new Promise((r) => setTimeout(r, 2))
  }
  return { records, batches, sha256: csv.sha256(), bytes: csv.bytesRead() }
}

/**
 * Reference for the first bad byte (a linear scan, not the reader's binary search): the last byte
 * of the shortest prefix a streaming fatal decoder refuses, moved back to the first byte of the
 * character it breaks; `cut` when only the last character is unfinished; undefined when the bytes
 * are UTF-8.
 */
const firstRefusal = (bytes: Buffer): number | 'cut' | undefined => {
  for (let n = 1; n <= bytes.length; n++) {
    const prefix = bytes.subarray(0, n)
    if (decodes(prefix, true)) continue
    let at = n - 1
    if (!decodes(bytes.subarray(0, at), false)) {
      while (at > 0 && ((bytes[at - 1] as number) & 0xc0) === 0x80) at -= 1
      at -= 1
    }
    return at
  }
  return decodes(bytes, false) ? undefined : 'cut'
}

const decodes = (bytes: Buffer, stream: boolean): boolean => {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream })
    return true
  } catch {
    return false
  }
}

describe('openCsv', () => {
  it('reads quoted cells, CRLF, a BOM and skips empty lines', async () => {
    const f = await write(
      'a.csv',
      '\uFEFFid,note\r\n1,"a, b"\r\n\r\n2,"say ""hi""\nthere"\r\n3,\r\n',
    )
    const { records } = await readAll(f)
    expect(records).toEqual([
      ['id', 'note'],
      ['1', 'a, b'],
      ['2', 'say "hi"\nthere'],
      ['3', ''],
    ])
  })

  it('keeps multi-byte characters whole across read chunks, in order, and hashes the bytes', async () => {
    // ~1.3 MB of rows with 2-, 3- and 4-byte characters: many 64 KiB reads, many split inside a
    // character, and more batches than the reader keeps ahead (the file is paused and resumed).
    const rows = Array.from({ length: 60_000 }, (_, i) => `${i},é—😀${'x'.repeat(i % 17)}`)
    const content = Buffer.from(`id,name\n${rows.join('\n')}\n`, 'utf8')
    const f = await write('utf8.csv', content)
    const { records, batches, sha256, bytes } = await readAll(f, true)
    expect(batches).toBeGreaterThan(16)
    expect(records).toHaveLength(60_001)
    expect(records.slice(1).map((r) => `${r[0]},${r[1]}`)).toEqual(rows)
    expect(bytes).toBe(content.length)
    expect(sha256).toBe(createHash('sha256').update(content).digest('hex'))
  })

  it('drops a BOM before a quoted header and before a first record longer than a read', async () => {
    const quoted = await write('bom-quoted.csv', '\uFEFF"id","note"\n1,x\n')
    expect((await readAll(quoted)).records).toEqual([
      ['id', 'note'],
      ['1', 'x'],
    ])
    const long = `${'c'.repeat(100_000)}`
    const wide = await write('bom-wide.csv', `\uFEFFid,${long}\n1,x\n`)
    expect((await readAll(wide)).records[0]).toEqual(['id', long])
    const twice = await write('bom-twice.csv', '\uFEFF\uFEFFid,note\n1,x\n')
    // However the reads split them: the BOMs are 3 bytes each.
    for (const readBytes of [1, 2, 3, 5, 7, undefined]) {
      expect((await readAll(twice, false, readBytes)).records[0]).toEqual(['id', 'note'])
    }
  })

  it('reads CRLF as CRLF when the first line is longer than a read, or a read ends inside CRLF', async () => {
    const long = 'c'.repeat(70_000)
    const wide = await write('crlf-wide.csv', `id,${long}\r\n1,x\r\n2,y\r\n`)
    expect((await readAll(wide)).records).toEqual([
      ['id', long],
      ['1', 'x'],
      ['2', 'y'],
    ])
    const short = await write('crlf-short.csv', 'a,b\r\n1,2\r\n3,4\r\n')
    for (const readBytes of [1, 2, 3, 4, 5]) {
      expect((await readAll(short, false, readBytes)).records).toEqual([
        ['a', 'b'],
        ['1', '2'],
        ['3', '4'],
      ])
    }
  })

  it('stops reading the file while the reader is behind', async () => {
    // 16 MB: without backpressure the whole file is read (and held) at once.
    const line = `${'x'.repeat(100)},1\n`
    const f = await write('big.csv', `a,b\n${line.repeat(160_000)}`)
    const csv = await openCsv(f)
    const it = csv.batches[Symbol.asyncIterator]()
    await it.next()
    await new Promise((r) => setTimeout(r, 300))
    expect(csv.bytesRead()).toBeLessThan(4 << 20)
    csv.close()
    // Closed mid-read: the next read ends instead of waiting forever.
    expect((await it.next()).done).toBe(true)
  })

  it('hashes once however often it is asked', async () => {
    const f = await write('h.csv', 'a\n1\n')
    const csv = await openCsv(f)
    for await (const _ of csv.batches) {
      // read all
    }
    expect(csv.sha256()).toBe(csv.sha256())
  })

  it('rejects an unterminated quote, naming the file and the record', async () => {
    const f = await write('bad.csv', 'id,note\n1,ok\n2,"never closed\n3,x\n')
    await expect(readAll(f)).rejects.toMatchObject({
      code: 'VALIDATION',
      message: expect.stringMatching(/bad\.csv: not valid CSV: .*record 3/),
    })
  })

  it('rejects bytes that are not UTF-8, naming the line and byte', async () => {
    // Latin-1 'Müller' and 'Möller': read as U+FFFD they were one key.
    const latin1 = Buffer.concat([
      Buffer.from('pid,x\nM'),
      Buffer.from([0xfc]),
      Buffer.from('ller,1\nM'),
      Buffer.from([0xf6]),
      Buffer.from('ller,2\n'),
    ])
    const f = await write('latin1.csv', latin1)
    await expect(readAll(f)).rejects.toMatchObject({
      code: 'VALIDATION',
      message: expect.stringMatching(
        /latin1\.csv: not UTF-8: byte 0xFC at line 2 \(byte offset 7\)/,
      ),
    })
  })

  it('finds a bad byte far into the file, after valid characters split between reads', async () => {
    const row = 'é,ü,ø\n' // 2-byte characters: some straddle the 64 KiB reads
    const good = Buffer.from(`a,b,c\n${row.repeat(20_000)}`)
    const bad = Buffer.concat([
      good,
      Buffer.from('x,'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from(',z\n'),
    ])
    const f = await write('late.csv', bad)
    await expect(readAll(f)).rejects.toMatchObject({
      message: expect.stringMatching(
        new RegExp(`byte 0xC3 at line 20002 \\(byte offset ${good.length + 2}\\)`),
      ),
    })
  })

  it('names a broken character that straddles two reads by its first byte', async () => {
    // 64 KiB reads: the lead byte 0xC3 is the last byte of the first read, 'x' breaks it.
    const head = Buffer.from(`a,b\n${'y'.repeat(65_535 - 4)}`)
    const f = await write(
      'straddle.csv',
      Buffer.concat([head, Buffer.from([0xc3]), Buffer.from('x\n')]),
    )
    await expect(readAll(f)).rejects.toMatchObject({
      message: expect.stringMatching(/byte 0xC3 at line 2 \(byte offset 65535\)/),
    })
  })

  it('counts lines ended by CR alone or CRLF when naming a bad byte', async () => {
    const f = await write(
      'cr.csv',
      Buffer.concat([Buffer.from('a,b\r1,2\r\n3,'), Buffer.from([0xff]), Buffer.from('\r')]),
    )
    await expect(readAll(f)).rejects.toMatchObject({
      message: expect.stringMatching(/byte 0xFF at line 3 \(byte offset 11\)/),
    })
  })

  it('rejects a file that ends inside a character', async () => {
    const f = await write(
      'cut.csv',
      Buffer.concat([Buffer.from('a,b\n1,'), Buffer.from([0xe2, 0x82])]),
    )
    await expect(readAll(f)).rejects.toMatchObject({
      message: expect.stringMatching(/cut\.csv: not UTF-8: it ends inside a character/),
    })
  })

  it('names a bad byte held back at the end of a read or at the end of the file', async () => {
    // 0xF0 looks like the start of a 4-byte character, so the end of a read holds it back.
    for (const [bytes, name] of [
      [[0xf0, 0x41], '0xF0'],
      [[0xed, 0xa0, 0x80], '0xED'], // a UTF-16 surrogate, never valid in UTF-8
      [[0xff], '0xFF'],
    ] as const) {
      const f = await write('held.csv', Buffer.concat([Buffer.from('a,b\n1,'), Buffer.from(bytes)]))
      for (const readBytes of [1, 2, 3, 7, undefined]) {
        await expect(readAll(f, false, readBytes)).rejects.toMatchObject({
          message: expect.stringContaining(`byte ${name} at line 2 (byte offset 6)`),
        })
      }
    }
  })

  it('agrees with a fatal TextDecoder on any bytes, split into reads of any size', async () => {
    // Text with 1- to 4-byte characters, sometimes one byte replaced by an arbitrary one.
    const piece = fc.constantFrom('a', ',', '\n', 'é', '—', '😀', 'Ω', '7')
    await fc.assert(
      fc.asyncProperty(
        fc.array(piece, { minLength: 1, maxLength: 40 }),
        fc.option(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { nil: undefined }),
        fc.integer({ min: 1, max: 9 }),
        async (pieces, change, readBytes) => {
          const content = Buffer.from(`h\n${pieces.join('')}`, 'utf8')
          if (change) content[2 + (change[0] % (content.length - 2))] = change[1]
          const f = await write('property.csv', content)
          const expected = firstRefusal(content)
          if (expected === undefined) {
            const text = new TextDecoder('utf-8', { fatal: true }).decode(content)
            const { data, errors } = Papa.parse<string[]>(text, {
              delimiter: ',',
              skipEmptyLines: true,
            })
            // A changed byte can be a lone quote: the reader refuses what Papa Parse reports.
            if (errors.some((e) => e.type === 'Quotes')) {
              await expect(readAll(f, false, readBytes)).rejects.toThrow(/not valid CSV/)
            } else expect((await readAll(f, false, readBytes)).records).toEqual(data)
          } else {
            await expect(readAll(f, false, readBytes)).rejects.toMatchObject({
              message: expect.stringContaining(
                expected === 'cut' ? 'it ends inside a character' : `(byte offset ${expected})`,
              ),
            })
          }
        },
      ),
      { numRuns: 300 },
    )
  })

  it('fails with VALIDATION for a directory', async () => {
    await expect(readAll(dir)).rejects.toMatchObject({
      code: 'VALIDATION',
      message: expect.stringMatching(/cannot read the file/),
    })
  })

  it('fails with NOT_FOUND for a file that does not exist', async () => {
    await expect(readAll(path.join(dir, 'nope.csv'))).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/nope\.csv/),
    })
  })
})
