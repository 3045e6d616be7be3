import { readFileSync } from 'node:fs'
import path from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { loadFeatureRepo } from '../features/load.js'
import type { FeatureRepo } from '../features/repo.js'
import { clinicFile, repoOf } from '../features/test-support.js'
import { makeRowConverter } from './convert-row.js'
import { makeRecordEncoder } from './copy-encoder.js'
import { copyLine } from './copy-text.js'
import { viewTable } from './view-tables.js'

/** The oracle: the general path (typed rows, then `copyLine`); undefined when it rejects. */
const viaRows = (repo: FeatureRepo, source: string, header: string[]) => {
  const convert = makeRowConverter(repo, source)
  const tables = new Map(repo.viewsOfSource(source).map((v) => [v.name, viewTable(v)]))
  return (cells: string[], rowNumber: number): (string | undefined)[] | undefined => {
    const record = Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']))
    const result = convert(record, rowNumber)
    if (!result.ok) return undefined
    const lines = new Map(
      result.rows.map((r) => [r.view, copyLine(tables.get(r.view) ?? fail(), r.row)]),
    )
    return repo.viewsOfSource(source).map((v) => lines.get(v.name))
  }
}

const fail = (): never => {
  throw new Error('no such view')
}

describe('makeRecordEncoder', () => {
  const repo = repoOf({
    ...clinicFile(),
    sources: [{ ...(clinicFile().sources as object[])[0], created_timestamp_column: 'written' }],
  })
  const header = [
    'extra',
    'Note',
    'event',
    'grade',
    'smoker',
    'chol',
    'age',
    'written',
    'ts',
    'pid',
  ]
  const encode = makeRecordEncoder(repo, 'clinic', header)
  const oracle = viaRows(repo, 'clinic', header)
  const cell = (choices: string[]) => fc.constantFrom(...choices)
  const cells = fc.tuple(
    cell(['x', '']),
    cell([' free text ', 'tab\there', 'back\\slash', 'line\nbreak', '?', '', 'é😀', 'a\u0000b']),
    cell(['0', '1', '1.0', '?', '1.5', ' 2 ']),
    cell(['low', 'high', 'None', 'mid', '?', ' low ']),
    cell(['true', 'false', 'TRUE', 'yes', '', '?']),
    cell(['0', '5.5', '-0', '0.0', '1e3', 'abc', '?', '-1']),
    cell(['63', '63.0', '1.5', '', '?', '9007199254740993', '-4']),
    cell([
      '',
      '?',
      '2024-01-02T00:00Z',
      '2024-02-30',
      '2024-01-02 03:04:05.678+02:00',
      '9999-12-31T23:59:59-01:00',
    ]),
    cell([
      '2024-01-01',
      '2024-01-01T08:30',
      'nope',
      '',
      '2024-01-01T08:30:00.1234Z',
      '0000-06-01',
      '0001-01-01T00:00Z',
    ]),
    cell(['007', '7', ' P1 ', '', '?', 'a\tb', 'p\u00001']),
  )

  it('accepts exactly the records the row converter accepts, encoding the same COPY lines', () => {
    fc.assert(
      fc.property(cells, fc.integer({ min: 1, max: 1e6 }), (row, n) => {
        const got = encode(row, n)
        const want = oracle(row, n)
        expect(got).toEqual(want)
      }),
      { numRuns: 2000 },
    )
  })

  it('matches the row converter on the head of the real diabetic_data.csv', async () => {
    const root = path.resolve(import.meta.dirname, '../..')
    const real = await loadFeatureRepo(path.join(root, 'features'))
    const lines = readFileSync(path.resolve(root, '../shared/data/diabetic_data.csv'), 'utf8')
      .split('\r\n')
      .slice(0, 400)
    const [head = '', ...rows] = lines
    const names = head.split(',')
    const fast = makeRecordEncoder(real, 'diabetic_encounters', names)
    const slow = viaRows(real, 'diabetic_encounters', names)
    let accepted = 0
    rows.forEach((line, i) => {
      const row = line.split(',')
      // Every tenth record gets a bad cell, so both paths must also agree on rejecting.
      if (i % 10 === 3) row[4] = '[200-210)'
      const got = fast(row, i + 1)
      expect(got).toEqual(slow(row, i + 1))
      if (got) accepted += 1
    })
    expect(accepted).toBeGreaterThan(300)
    expect(accepted).toBeLessThan(rows.length)
  })
})
