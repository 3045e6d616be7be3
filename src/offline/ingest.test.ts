import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testDatabases } from '../../test/support/databases.js'
import type { AppError } from '../core/errors.js'
import type { Db } from '../db/connect.js'
import { loadFeatureRepo } from '../features/load.js'
import { clinicFile, repoOf } from '../features/test-support.js'
import { ingestCsv } from './ingest.js'
import type { FeatureRow, OfflineStore } from './offline-store.js'
import { countViewRows, createPostgresOfflineStore } from './postgres-offline-store.js'

const repo = repoOf({
  ...clinicFile(),
  sources: [{ ...(clinicFile().sources as object[])[0], created_timestamp_column: 'written' }],
})
const HEADER = 'pid,ts,written,age,chol,smoker,grade,Note,event,extra'
const GOOD = [
  '007,2024-01-01,2024-01-02T00:00Z,50,5.5,true,low,"has, comma",0,x',
  '7,2024-01-01T08:30,,61,0,false,None,,1,y',
  '7,2024-02-01 09:00:00+01:00,,62,?,,high,"multi\nline",0,z',
]

const readAll = async (store: OfflineStore, view: string): Promise<FeatureRow[]> => {
  const out: FeatureRow[] = []
  for await (const page of store.latestRows(repo.view(view), undefined, new Date('2100-01-01')))
    out.push(...page)
  return out.sort((a, b) => a.entityKey.localeCompare(b.entityKey))
}

describe.each(testDatabases())('ingestCsv on $name', ({ open }) => {
  let db: Db
  let store: OfflineStore
  let dir: string
  const file = async (name: string, text: string): Promise<string> => {
    const p = path.join(dir, name)
    await writeFile(p, text)
    return p
  }
  const ingestions = async () =>
    (await sql<{ n: number }>`select count(*)::integer as n from ingestions`.execute(db.kysely))
      .rows[0]?.n
  beforeAll(async () => {
    db = await open()
    store = createPostgresOfflineStore(db)
    dir = await mkdtemp(path.join(tmpdir(), 'ward-ingest-'))
  })
  afterAll(async () => {
    await db.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('stores typed rows of every view of the source from a CRLF file with a BOM, once', async () => {
    const f = await file('good.csv', `\uFEFF${[HEADER, ...GOOD].join('\r\n')}\r\n`)
    const report = await ingestCsv({ db, store, repo, source: 'clinic', file: f })
    expect(report).toMatchObject({
      rowsRead: 3,
      rowsStored: 6,
      rowsRejected: 0,
      storedByView: { vitals: 3, outcome: 3 },
    })
    expect(report.fileSha256).toMatch(/^[0-9a-f]{64}$/)
    // A first load leaves its tables with statistics: the planner knows their size.
    const sizes = await sql<{ relname: string; n: number }>`select relname, reltuples::float8 as n
      from pg_class where relname in ('fv_vitals', 'lv_outcome') order by relname`.execute(
      db.kysely,
    )
    expect(sizes.rows).toEqual([
      { relname: 'fv_vitals', n: 3 },
      { relname: 'lv_outcome', n: 3 },
    ])
    const vitals = await readAll(store, 'vitals')
    expect(vitals).toEqual([
      {
        entityKey: '007',
        eventTs: new Date('2024-01-01T00:00:00Z'),
        createdTs: new Date('2024-01-02T00:00:00Z'),
        values: { age: 50, chol: 5.5, smoker: true, grade: 'low', note: 'has, comma' },
      },
      {
        entityKey: '7',
        eventTs: new Date('2024-02-01T08:00:00Z'),
        createdTs: null,
        values: { age: 62, chol: null, smoker: null, grade: 'high', note: 'multi\nline' },
      },
    ])
    const again = await ingestCsv({ db, store, repo, source: 'clinic', file: f })
    expect(again).toMatchObject({ rowsRead: 3, rowsStored: 0, rowsSkipped: 6, rowsConflicting: 0 })
    expect(await countViewRows(db, repo.view('outcome'))).toBe(3)
    const logged = await db.kysely.selectFrom('ingestions').selectAll().orderBy('id').execute()
    expect(
      logged.map((l) => [l.source, l.file_sha256, l.rows_read, l.rows_stored, l.rows_rejected]),
    ).toEqual([
      ['clinic', report.fileSha256, 3, 6, 0],
      ['clinic', report.fileSha256, 3, 0, 0],
    ])
  })

  it('keeps the first row of a key repeated in a file, into an empty and into a filled table', async () => {
    // Views of their own, so their tables start empty (COPY straight in) and are filled after.
    const own = clinicFile()
    const rename = (views: unknown, name: string) =>
      (views as object[]).map((v) => ({ ...v, name }))
    const dupRepo = repoOf({
      ...own,
      sources: [{ ...(own.sources as object[])[0], created_timestamp_column: 'written' }],
      feature_views: rename(own.feature_views, 'dup_vitals'),
      label_views: rename(own.label_views, 'dup_outcome'),
    })
    const lines = (ages: number[]) =>
      ages.map((age, i) => `d${i % 2},2024-05-01,,${age},1.0,true,low,,0,`)
    const first = await file('dup1.csv', `${[HEADER, ...lines([30, 31, 32])].join('\r\n')}\r\n`)
    const one = await ingestCsv({ db, store, repo: dupRepo, source: 'clinic', file: first })
    // d0's second row holds another age: a conflict in dup_vitals, none in dup_outcome.
    expect(one).toMatchObject({ rowsRead: 3, rowsStored: 4, rowsSkipped: 2, rowsConflicting: 1 })
    const second = await file(
      'dup2.csv',
      `${[HEADER, ...lines([40, 41]), 'd2,2024-05-01,,50,1.0,true,low,,0,', 'd2,2024-05-01,,51,1.0,true,low,,0,'].join('\n')}\n`,
    )
    const two = await ingestCsv({ db, store, repo: dupRepo, source: 'clinic', file: second })
    expect(two).toMatchObject({
      rowsRead: 4,
      rowsStored: 2,
      rowsSkipped: 6,
      // New ages for stored d0 and d1, and d2's repeat in the file.
      rowsConflicting: 3,
      storedByView: { dup_vitals: 1 },
    })
    const stored: FeatureRow[] = []
    for await (const page of store.latestRows(
      dupRepo.view('dup_vitals'),
      undefined,
      new Date('2100-01-01'),
    ))
      stored.push(...page)
    expect(Object.fromEntries(stored.map((r) => [r.entityKey, r.values.age]))).toEqual({
      d0: 30,
      d1: 31,
      d2: 50,
    })
  })

  it('names a missing column and stores nothing', async () => {
    const before = await ingestions()
    const f = await file(
      'nochol.csv',
      `pid,ts,written,age,smoker,grade,Note,event\n1,2024-03-01,,5,true,low,,0\n`,
    )
    await expect(ingestCsv({ db, store, repo, source: 'clinic', file: f })).rejects.toThrow(
      /missing column\(s\) 'chol' \(vitals:chol\)/,
    )
    expect(await ingestions()).toBe(before)
  })

  it('rejects a whole file with bad rows, reporting every bad cell, and keeps earlier rows', async () => {
    const before = await countViewRows(db, repo.view('vitals'))
    const lines = [
      HEADER,
      'n1,2024-03-01,,40,1.0,true,low,,0,',
      'n2,2024-03-01,,forty,1.0,true,low,,0,',
      'n3,yesterday,,41,1.0,maybe,low,,0,',
      'n4,2024-03-01,,42,1.0,true,low,,0',
    ]
    const f = await file('bad.csv', `${lines.join('\n')}\n`)
    const error = (await ingestCsv({ db, store, repo, source: 'clinic', file: f }).catch(
      (e) => e,
    )) as AppError
    expect(error.code).toBe('VALIDATION')
    expect(error.message).toMatch(/rejected, nothing stored: 3 bad row\(s\)/)
    expect(error.message).toMatch(/row 2 column 'age' value 'forty'/)
    const details = error.details as { row: number; column: string; value: string }[]
    expect(details.map((d) => [d.row, d.column, d.value])).toEqual([
      [2, 'age', 'forty'],
      [3, 'ts', 'yesterday'],
      [3, 'smoker', 'maybe'],
      [4, '(record)', ''],
    ])
    expect(await countViewRows(db, repo.view('vitals'))).toBe(before)
    expect((await readAll(store, 'vitals')).map((r) => r.entityKey)).toEqual(['007', '7'])
  })

  it('with skip, stores the good rows and writes the bad ones to the rejects file', async () => {
    const lines = [
      HEADER,
      's1,2024-04-01,,40,1.5,true,low,,0,',
      's2,2024-04-01,,4.5,1.0,true,mid,,0,',
      's3,2024-04-01,,43,,,high,,1,',
    ]
    const f = await file('skip.csv', `${lines.join('\n')}\n`)
    const rejectsFile = path.join(dir, 'rejects.csv')
    const report = await ingestCsv({
      db,
      store,
      repo,
      source: 'clinic',
      file: f,
      onError: 'skip',
      rejectsFile,
    })
    expect(report).toMatchObject({ rowsRead: 3, rowsStored: 4, rowsRejected: 1 })
    expect(report.errors.map((e) => [e.row, e.column])).toEqual([
      [2, 'age'],
      [2, 'grade'],
    ])
    const rejects = (await readFile(rejectsFile, 'utf8')).trimEnd().split('\n')
    expect(rejects[0]).toBe(`${HEADER},_row,_column,_reason`)
    expect(rejects).toHaveLength(2)
    expect(rejects[1]).toMatch(/^s2,2024-04-01,,4\.5,1\.0,true,mid,,0,,2,age \| grade,/)
    expect((await readAll(store, 'vitals')).map((r) => r.entityKey)).toEqual([
      '007',
      '7',
      's1',
      's3',
    ])
  })

  it('rejects a file that is not UTF-8 and stores nothing of it', async () => {
    const before = (await readAll(store, 'vitals')).length
    const latin1 = Buffer.concat([
      Buffer.from(`${HEADER}\nM`),
      Buffer.from([0xfc]),
      Buffer.from('ller,2024-05-01,,40,1.5,true,low,,0,\nM'),
      Buffer.from([0xf6]),
      Buffer.from('ller,2024-05-01,,41,1.5,true,low,,0,\n'),
    ])
    const f = path.join(dir, 'latin1.csv')
    await writeFile(f, latin1)
    await expect(
      ingestCsv({ db, store, repo, source: 'clinic', file: f, onError: 'skip' }),
    ).rejects.toMatchObject({
      code: 'VALIDATION',
      message: expect.stringMatching(/latin1\.csv: not UTF-8: byte 0xFC at line 2/),
    })
    expect(await readAll(store, 'vitals')).toHaveLength(before)
  })

  it('refuses a rejects file that is the input file, and leaves the input whole', async () => {
    const text = `${HEADER}\nr1,2024-05-02,,40,1.5,true,low,,0,\nr2,2024-05-02,,x,1.5,true,low,,0,\n`
    const f = await file('self.csv', text)
    await expect(
      ingestCsv({
        db,
        store,
        repo,
        source: 'clinic',
        file: f,
        onError: 'skip',
        rejectsFile: path.join(dir, '.', 'self.csv'),
      }),
    ).rejects.toMatchObject({
      code: 'VALIDATION',
      message: expect.stringMatching(/--rejects .*self\.csv is the input file/),
    })
    expect(await readFile(f, 'utf8')).toBe(text)
    expect((await readAll(store, 'vitals')).map((r) => r.entityKey)).not.toContain('r1')
  })

  it('rejects per row what Postgres could not store: NUL characters, years outside 0001-9999', async () => {
    const lines = [
      HEADER,
      'n1,2024-06-01,,40,1.5,true,low,ok,0,',
      'n\u00002,2024-06-01,,40,1.5,true,low,,0,',
      'n3,2024-06-01,,40,1.5,true,low,a\u0000b,0,',
      'n4,0000-06-01,,40,1.5,true,low,,0,',
      'n5,2024-06-01,9999-12-31T23:59:59-01:00,40,1.5,true,low,,0,',
    ]
    const f = await file('nul.csv', `${lines.join('\n')}\n`)
    const report = await ingestCsv({ db, store, repo, source: 'clinic', file: f, onError: 'skip' })
    expect(report).toMatchObject({ rowsRead: 5, rowsRejected: 4 })
    expect(report.errors.map((e) => [e.row, e.column, e.reason])).toEqual([
      [2, 'pid', expect.stringMatching(/NUL character/)],
      [3, 'Note', expect.stringMatching(/NUL character/)],
      [4, 'ts', expect.stringMatching(/not an ISO 8601 date-time/)],
      [5, 'written', expect.stringMatching(/not an ISO 8601 date-time/)],
    ])
    const keys = (await readAll(store, 'vitals')).map((r) => r.entityKey)
    expect(keys).toContain('n1')
    expect(keys.filter((k) => /^n\D?[2-5]$/.test(k))).toEqual([])
  })

  it('reports a CSV syntax error and a missing file clearly', async () => {
    const f = await file('quote.csv', `${HEADER}\n"unterminated,2024-01-01,,1,1,true,low,,0,\n`)
    await expect(ingestCsv({ db, store, repo, source: 'clinic', file: f })).rejects.toThrow(
      /quote\.csv: not valid CSV/,
    )
    await expect(
      ingestCsv({ db, store, repo, source: 'clinic', file: path.join(dir, 'nope.csv') }),
    ).rejects.toThrow(/nope\.csv: cannot read the file/)
  })

  it('ingests the head of the real diabetic_data.csv with the project definitions', async () => {
    const real = await loadFeatureRepo(path.resolve(import.meta.dirname, '../../features'))
    const text = await readFile(
      path.resolve(import.meta.dirname, '../../../shared/data/diabetic_data.csv'),
      'utf8',
    )
    const head = text.split('\r\n').slice(0, 1001).join('\r\n')
    const f = await file('diabetic-head.csv', `${head}\r\n`)
    const report = await ingestCsv({
      db,
      store,
      repo: real,
      source: 'diabetic_encounters',
      file: f,
    })
    expect(report.rowsRead).toBe(1000)
    expect(report.rowsRejected).toBe(0)
    expect(report.storedByView.readmission).toBe(1000)
    const first = (
      await store.historical({
        entityRows: [{ entityKey: '2278392', eventTs: new Date('2010-01-01Z') }],
        features: [
          { view: real.view('encounter'), fields: ['max_glu_serum'] },
          { view: real.view('readmission'), fields: ['readmitted'] },
        ],
      })
    )[0]
    expect(first).toEqual({
      'encounter:max_glu_serum': 'None',
      'readmission:readmitted': 'NO',
    })
  })
})

describe('an offline store that does not answer', () => {
  it('fails with UNAVAILABLE naming Postgres and the URL without its password', async () => {
    const { createServer } = await import('node:net')
    // A port that was free a moment ago: nothing listens there.
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    await new Promise<void>((resolve) => server.close(() => resolve()))
    const { connectDb } = await import('../db/connect.js')
    const error = (await connectDb({
      type: 'postgres',
      url: `postgres://ward:s3cret@127.0.0.1:${port}/ward`,
    }).catch((e) => e)) as AppError
    expect(error.code).toBe('UNAVAILABLE')
    expect(error.message).toContain(
      `Postgres at postgres://ward:***@127.0.0.1:${port}/ward is not answering`,
    )
    expect(error.message).not.toContain('s3cret')
  })
})
