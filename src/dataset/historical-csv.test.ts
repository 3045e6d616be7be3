import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testDatabases } from '../../test/support/databases.js'
import type { Db } from '../db/connect.js'
import { clinicFile, repoOf } from '../features/test-support.js'
import type { OfflineStore } from '../offline/offline-store.js'
import { createPostgresOfflineStore } from '../offline/postgres-offline-store.js'
import { row } from '../offline/test-support/views.js'
import { writeHistoricalCsv } from './historical-csv.js'

const repo = repoOf({
  ...clinicFile(),
  entities: [...(clinicFile().entities as object[]), { name: 'ward_unit', join_key: 'unit_id' }],
  sources: [
    ...(clinicFile().sources as object[]),
    { name: 'units', entity_columns: { unit_id: 'unit' }, event_timestamp: { column: 'ts' } },
  ],
  feature_views: [
    ...(clinicFile().feature_views as object[]),
    { name: 'beds', entity: 'ward_unit', source: 'units', fields: [{ name: 'free', type: 'int' }] },
  ],
})

describe.each(testDatabases())('writeHistoricalCsv on $name', ({ open }) => {
  let db: Db
  let store: OfflineStore
  let dir: string
  const file = async (name: string, text: string) => {
    const p = path.join(dir, name)
    await writeFile(p, text)
    return p
  }
  beforeAll(async () => {
    db = await open()
    store = createPostgresOfflineStore(db)
    dir = await mkdtemp(path.join(tmpdir(), 'ward-hist-'))
    await store.ensureTables([...repo.views])
    // minute 0 = 2024-01-01T00:00Z
    await store.writeRows(repo.view('vitals'), [
      row('007', 0, { age: 50, chol: 5.5, smoker: true, grade: 'low', note: 'a, "b"' }),
      row('7', 0, { age: 70, chol: null, smoker: false, grade: null, note: null }),
    ])
    await store.writeRows(repo.view('outcome'), [row('007', 60, { event: 1 })])
  })
  afterAll(async () => {
    await db.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('writes key, the other entity columns, event_timestamp and one column per reference, in input order, empty where none', async () => {
    const entities = await file(
      'entities.csv',
      'patient_id,event_timestamp,other\n007,2024-01-01T02:00:00,x\n7,2023-12-31T23:59Z,y\n007,2024-01-01 00:30+01:00,z\n7,2024-01-02,w\n',
    )
    const outFile = path.join(dir, 'out.csv')
    const report = await writeHistoricalCsv({
      store,
      repo,
      entitiesFile: entities,
      refs: ['outcome:event', 'vitals:age', 'vitals:note', 'vitals:smoker', 'vitals:chol'],
      outFile,
    })
    expect(report.rows).toBe(4)
    expect((await readFile(outFile, 'utf8')).split('\n')).toEqual([
      'patient_id,other,event_timestamp,outcome:event,vitals:age,vitals:note,vitals:smoker,vitals:chol',
      '007,x,2024-01-01T02:00:00,1,50,"a, ""b""",true,5.5',
      '7,y,2023-12-31T23:59Z,,,,,',
      // 00:30+01:00 is 23:30Z the day before: no value yet.
      '007,z,2024-01-01 00:30+01:00,,,,,',
      '7,w,2024-01-02,,70,,false,',
      '',
    ])
  })

  it('reports progress by phase: reading, joining, writing', async () => {
    const n = 25_000
    const lines = Array.from({ length: n }, (_, i) => `${i % 2 ? '7' : '007'},2024-01-02`)
    const entities = await file('many.csv', `patient_id,event_timestamp\n${lines.join('\n')}\n`)
    const seen: string[] = []
    await writeHistoricalCsv({
      store,
      repo,
      entitiesFile: entities,
      refs: ['vitals:age'],
      outFile: path.join(dir, 'many-out.csv'),
      onProgress: (p) => seen.push(`${p.phase} ${p.done}/${p.total ?? '?'}`),
    })
    expect(seen).toEqual([
      'reading 10000/?',
      'reading 20000/?',
      `joining 0/${n}`,
      `writing 0/${n}`,
      `writing 10000/${n}`,
      `writing 20000/${n}`,
      `writing ${n}/${n}`,
    ])
  })

  it('passes other columns through in file order, as written, whatever the column order', async () => {
    const entities = await file(
      'labelled.csv',
      'event_timestamp,label,patient_id,note\n2024-01-01T02:00Z,1,007,"a, ""b"""\n2024-01-01T02:00Z,,7, x \n',
    )
    const outFile = path.join(dir, 'labelled-out.csv')
    const report = await writeHistoricalCsv({
      store,
      repo,
      entitiesFile: entities,
      refs: ['vitals:age'],
      outFile,
    })
    expect(report.columns).toEqual(['patient_id', 'label', 'note', 'event_timestamp', 'vitals:age'])
    expect((await readFile(outFile, 'utf8')).split('\n')).toEqual([
      'patient_id,label,note,event_timestamp,vitals:age',
      '007,1,"a, ""b""",2024-01-01T02:00Z,50',
      // Spaces kept: the writer quotes a cell that starts or ends with one.
      '7,," x ",2024-01-01T02:00Z,70',
      '',
    ])
  })

  it('refuses a passed column named like a requested reference, and writes nothing', async () => {
    const entities = await file(
      'clash.csv',
      'patient_id,event_timestamp,vitals:age\n007,2024-01-01,3\n',
    )
    const outFile = path.join(dir, 'never-clash.csv')
    await expect(
      writeHistoricalCsv({ store, repo, entitiesFile: entities, refs: ['vitals:age'], outFile }),
    ).rejects.toThrow(/clash\.csv: column\(s\) 'vitals:age' would appear twice in the output/)
    await expect(readFile(outFile)).rejects.toThrow(/ENOENT/)
  })

  it('names the row and column of an unparseable timestamp, and writes nothing', async () => {
    const entities = await file(
      'bad.csv',
      'patient_id,event_timestamp\n007,2024-01-01\n7,01/02/2024\n8,2024-02-30\n',
    )
    const outFile = path.join(dir, 'never.csv')
    await expect(
      writeHistoricalCsv({ store, repo, entitiesFile: entities, refs: ['vitals:age'], outFile }),
    ).rejects.toThrow(
      /bad\.csv: row 2 column 'event_timestamp': '01\/02\/2024' is not an ISO 8601 date-time; row 3 column 'event_timestamp'/,
    )
    await expect(readFile(outFile)).rejects.toThrow(/ENOENT/)
  })

  it('refuses a repeated header name and rows with a different number of fields', async () => {
    const outFile = path.join(dir, 'never2.csv')
    const twice = await file(
      'twice.csv',
      'patient_id,event_timestamp,patient_id\n007,2024-01-01,7\n',
    )
    await expect(
      writeHistoricalCsv({ store, repo, entitiesFile: twice, refs: ['vitals:age'], outFile }),
    ).rejects.toThrow(/twice\.csv: column\(s\) 'patient_id' appear more than once/)
    const unnamed = await file('unnamed.csv', 'patient_id,event_timestamp,\n007,2024-01-01,\n')
    await expect(
      writeHistoricalCsv({ store, repo, entitiesFile: unnamed, refs: ['vitals:age'], outFile }),
    ).rejects.toThrow(/unnamed\.csv: column\(s\) 3 of the header have no name/)
    const nul = await file('nul.csv', 'patient_id,event_timestamp\n0\u000007,2024-01-01\n')
    await expect(
      writeHistoricalCsv({ store, repo, entitiesFile: nul, refs: ['vitals:age'], outFile }),
    ).rejects.toThrow(/nul\.csv: row 1 column 'patient_id': contains a NUL character/)
    const ragged = await file('ragged.csv', 'patient_id,event_timestamp\n007,2024-01-01,x\n7\n')
    await expect(
      writeHistoricalCsv({ store, repo, entitiesFile: ragged, refs: ['vitals:age'], outFile }),
    ).rejects.toThrow(
      /ragged\.csv: row 1: has 3 fields, the header has 2; row 2: has 1 fields, the header has 2/,
    )
    await expect(readFile(outFile)).rejects.toThrow(/ENOENT/)
  })

  it("names an output path it cannot create as the user's error", async () => {
    const entities = await file('ok.csv', 'patient_id,event_timestamp\n007,2024-01-01\n')
    await expect(
      writeHistoricalCsv({
        store,
        repo,
        entitiesFile: entities,
        refs: ['vitals:age'],
        outFile: path.join(dir, 'no-such-folder', 'out.csv'),
      }),
    ).rejects.toMatchObject({
      code: 'VALIDATION',
      message: expect.stringMatching(/out\.csv: cannot write the file \(ENOENT/),
    })
  })

  it('requires the join key column, known references and one entity', async () => {
    const noKey = await file('nokey.csv', 'pid,event_timestamp\n1,2024-01-01\n')
    const outFile = path.join(dir, 'o.csv')
    await expect(
      writeHistoricalCsv({ store, repo, entitiesFile: noKey, refs: ['vitals:age'], outFile }),
    ).rejects.toThrow(/missing column\(s\) 'patient_id'/)
    await expect(
      writeHistoricalCsv({ store, repo, entitiesFile: noKey, refs: ['vitals:nope'], outFile }),
    ).rejects.toThrow(/unknown feature 'vitals:nope'/)
    await expect(
      writeHistoricalCsv({
        store,
        repo,
        entitiesFile: noKey,
        refs: ['vitals:age', 'beds:free'],
        outFile,
      }),
    ).rejects.toThrow(/features must share one entity \(vitals → patient, beds → ward_unit\)/)
  })
})
