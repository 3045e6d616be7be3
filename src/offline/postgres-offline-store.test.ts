import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testDatabases } from '../../test/support/databases.js'
import { pointInTimeJoin } from '../dataset/point-in-time.js'
import type { Db } from '../db/connect.js'
import type { FeatureRow, FeatureValue, OfflineStore } from './offline-store.js'
import { countViewRows, createPostgresOfflineStore } from './postgres-offline-store.js'
import { at, EDGE_VALUES, row, testView } from './test-support/views.js'
import { viewTable } from './view-tables.js'

const collect = async (pages: AsyncIterable<FeatureRow[]>): Promise<FeatureRow[][]> => {
  const out: FeatureRow[][] = []
  for await (const page of pages) out.push(page)
  return out
}

describe.each(testDatabases())('offline store on $name', ({ open }) => {
  let db: Db
  let store: OfflineStore
  beforeAll(async () => {
    db = await open()
    store = createPostgresOfflineStore(db)
  })
  afterAll(async () => {
    await db.close()
  })

  it('creates one typed table per view, idempotently, and adds new fields as columns', async () => {
    const v1 = testView('vitals', [
      { name: 'hr', type: 'int' },
      { name: 'temp', type: 'float' },
    ])
    const label = testView('outcome', [{ name: 'readmitted', type: 'bool' }], { kind: 'label' })
    await store.ensureTables([v1, label])
    await store.ensureTables([v1, label])
    const v2 = testView('vitals', [...v1.fields, { name: 'note', type: 'string' }])
    await store.ensureTables([v2])
    const { rows } = await sql<{ table_name: string; column_name: string; data_type: string }>`
      select table_name, column_name, data_type from information_schema.columns
      where table_name in ('fv_vitals', 'lv_outcome') order by table_name, ordinal_position`.execute(
      db.kysely,
    )
    expect(rows.map((r) => `${r.table_name}.${r.column_name}:${r.data_type}`)).toEqual([
      'fv_vitals.entity_key:text',
      'fv_vitals.event_ts:timestamp with time zone',
      'fv_vitals.created_ts:timestamp with time zone',
      'fv_vitals.hr:bigint',
      'fv_vitals.temp:double precision',
      'fv_vitals.note:text',
      'lv_outcome.entity_key:text',
      'lv_outcome.event_ts:timestamp with time zone',
      'lv_outcome.created_ts:timestamp with time zone',
      'lv_outcome.readmitted:boolean',
    ])
  })

  it('refuses to retype a stored field, naming view and field, and changes nothing', async () => {
    const before = testView('retyped', [{ name: 'x', type: 'int' }])
    await store.ensureTables([before])
    const after = testView('retyped', [
      { name: 'x', type: 'string' },
      { name: 'y', type: 'int' },
    ])
    await expect(store.ensureTables([after])).rejects.toThrow(
      /view retyped: field x is stored as bigint/,
    )
    const { rows } = await sql<{
      n: number
    }>`select count(*)::integer as n from information_schema.columns
      where table_name = 'fv_retyped' and column_name = 'y'`.execute(db.kysely)
    expect(rows[0]?.n).toBe(0)
  })

  it('rejects a field that clashes with a key column', async () => {
    await expect(
      store.ensureTables([testView('clash', [{ name: 'event_ts', type: 'int' }])]),
    ).rejects.toThrow(/field 'event_ts' clashes with a key column/)
  })

  it('stores rows once: re-writing the same (key, event, created) adds nothing', async () => {
    const v = testView('once', [
      { name: 'n', type: 'int' },
      { name: 's', type: 'string' },
      { name: 'b', type: 'bool' },
    ])
    await store.ensureTables([v])
    const rows = [
      row('007', 1, { n: 1, s: 'tab\there\\ "q" \n NULL', b: true }),
      row('7', 1, { n: 2, s: null, b: false }),
      row('7', 1, { n: 3, s: '', b: null }, 5),
    ]
    expect(await store.writeRows(v, rows)).toBe(3)
    expect(await store.writeRows(v, rows)).toBe(0)
    expect(await countViewRows(db, v)).toBe(3)
    const got = (await collect(store.latestRows(v, undefined, at(10)))).flat()
    const byKey = Object.fromEntries(got.map((r) => [r.entityKey, r]))
    expect(byKey['007']?.values).toEqual({ n: 1, s: 'tab\there\\ "q" \n NULL', b: true })
    expect(byKey['7']).toEqual(rows[2])
  })

  it("stores a field a row left out as null, also one named 'constructor'", async () => {
    const v = testView('odd_names', [
      { name: 'constructor', type: 'string' },
      { name: 'n', type: 'int' },
    ])
    await store.ensureTables([v])
    expect(await store.writeRows(v, [row('k1', 1, { n: 3 })])).toBe(1)
    const got: FeatureRow[] = []
    for await (const page of store.latestRows(v, undefined, at(10))) got.push(...page)
    expect(got.map((r) => r.values)).toEqual([{ constructor: null, n: 3 }])
  })

  it('rejects a value of the wrong JS type, naming view, field and key', async () => {
    const v = testView('typed', [{ name: 'n', type: 'int' }])
    await store.ensureTables([v])
    await expect(store.writeRows(v, [row('a', 1, { n: 'x' })])).rejects.toThrow(
      /view typed: field n of entity 'a' holds "x", not a int/,
    )
    await expect(store.writeRows(v, [row('a', 1, { n: 1.5 })])).rejects.toThrow(/holds 1.5/)
    expect(await countViewRows(db, v)).toBe(0)
    const f = testView('typed_float', [{ name: 'x', type: 'float' }])
    await store.ensureTables([f])
    for (const x of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      await expect(store.writeRows(f, [row('a', 1, { x })])).rejects.toThrow(
        new RegExp(`holds ${x}, not a float`),
      )
    }
    expect(await countViewRows(db, f)).toBe(0)
  })

  it('latestRows: latest per entity in (start, end], ties by created time, in pages', async () => {
    const v = testView('mat', [{ name: 'x', type: 'float' }])
    await store.ensureTables([v])
    const rows: FeatureRow[] = []
    for (let k = 0; k < 25; k++) {
      rows.push(
        row(`k${k}`, 1, { x: k }),
        row(`k${k}`, 3, { x: k + 0.5 }, 2),
        row(`k${k}`, 3, { x: -k }),
      )
      rows.push(row(`k${k}`, 9, { x: 99 }))
    }
    await store.writeRows(v, rows)
    const { latestRowsPages } = await import('./latest-rows.js')
    const pages = await collect(latestRowsPages(db, v, at(0), at(5), 10))
    expect(pages.map((p) => p.length)).toEqual([10, 10, 5])
    const got = pages.flat().sort((a, b) => a.entityKey.localeCompare(b.entityKey))
    const expected = rows
      .filter((r) => r.eventTs.getTime() === at(3).getTime() && r.createdTs !== null)
      .sort((a, b) => a.entityKey.localeCompare(b.entityKey))
    expect(got).toEqual(expected)
    const later = (await collect(store.latestRows(v, at(3), at(5)))).flat()
    expect(later).toEqual([])
    const all = (await collect(store.latestRows(v, undefined, at(100)))).flat()
    expect(all.map((r) => r.values.x)).toEqual(Array(25).fill(99))
  })

  it('latestRows gives back every value and time as written, wide views and odd values too', async () => {
    // 60 fields of every type, with each type's edge values: read as 60 cells on Postgres, as
    // two json_build_object (50 pairs each) on PGlite.
    const types = ['int', 'float', 'bool', 'string'] as const
    const fields = Array.from({ length: 60 }, (_, i) => ({
      name: `f${i}`,
      type: types[i % 4] as (typeof types)[number],
    }))
    const v = testView('wide_roundtrip', fields)
    await store.ensureTables([v])
    const odd: Record<(typeof types)[number], readonly FeatureValue[]> = {
      ...EDGE_VALUES,
      float: [-0, ...EDGE_VALUES.float],
    }
    const rows: FeatureRow[] = Array.from({ length: 12 }, (_, k) => ({
      entityKey: `e${k}`,
      eventTs: new Date(Date.UTC(1969, 11, 31, 23, 59, 59, 999) + k * 86_400_123),
      createdTs: k % 2 ? new Date(Date.UTC(2024, 0, 1) + k * 7) : null,
      values: Object.fromEntries(
        fields.map((f, i) => {
          const choices = odd[f.type]
          return [f.name, choices[(k + i) % choices.length] as FeatureValue]
        }),
      ),
    }))
    await store.writeRows(v, rows)
    const got = (await collect(store.latestRows(v, undefined, at(10 ** 7)))).flat()
    const byKey = (a: FeatureRow, b: FeatureRow) => a.entityKey.localeCompare(b.entityKey)
    // -0 is stored as 0 by Postgres's float8 as by COPY text; compare it as 0.
    const zero = (r: FeatureRow) => ({
      ...r,
      values: Object.fromEntries(Object.entries(r.values).map(([n, x]) => [n, x === 0 ? 0 : x])),
    })
    expect(got.sort(byKey).map(zero)).toEqual(rows.sort(byKey).map(zero))
    // Microseconds (from SQL, not from Ward) round down to the millisecond, before 1970 too.
    const t = viewTable(v).table
    await sql`insert into ${sql.id(t)} (entity_key, event_ts, created_ts) values
      ('us_before', '1969-12-31 23:59:59.9985+00', '-infinity'),
      ('us_after', '1970-01-01 00:00:00.0015+00', '1970-01-01 00:00:00.0025+00')`.execute(db.kysely)
    const micro = (await collect(store.latestRows(v, undefined, at(10 ** 7))))
      .flat()
      .filter((r) => r.entityKey.startsWith('us_'))
      .map((r) => [r.entityKey, r.eventTs.getTime(), r.createdTs?.getTime() ?? null])
    expect(micro.sort()).toEqual([
      ['us_after', 1, 2],
      ['us_before', -2, null],
    ])
  })

  it('historical: one output row per input row, in order, duplicates kept, TTL honoured', async () => {
    const labs = testView('labs', [{ name: 'chol', type: 'float' }], { ttl: 600 })
    const vit = testView('vit', [
      { name: 'hr', type: 'int' },
      { name: 'smoker', type: 'bool' },
    ])
    await store.ensureTables([labs, vit])
    const labRows = [
      row('7', 0, { chol: 5 }),
      row('7', 20, { chol: 6 }),
      row('007', 5, { chol: 9 }),
    ]
    const vitRows = [
      row('7', 5, { hr: 70, smoker: false }),
      row('7', 5, { hr: 71, smoker: true }, 1),
    ]
    await store.writeRows(labs, labRows)
    await store.writeRows(vit, vitRows)
    const entityRows = [
      { entityKey: '7', eventTs: at(15) },
      { entityKey: '7', eventTs: at(4) },
      { entityKey: '007', eventTs: at(5) },
      { entityKey: '7', eventTs: at(15) },
      { entityKey: 'nobody', eventTs: at(15) },
      { entityKey: '7', eventTs: at(20) },
    ]
    const result = await store.historical({
      entityRows,
      features: [
        { view: vit, fields: ['smoker', 'hr'] },
        { view: labs, fields: ['chol'] },
      ],
    })
    const spec = pointInTimeJoin(entityRows, [
      { name: 'vit', ttlSeconds: 0, fields: ['smoker', 'hr'], rows: vitRows },
      { name: 'labs', ttlSeconds: 600, fields: ['chol'], rows: labRows },
    ])
    expect(result).toEqual(spec)
    // Spot checks of the spec itself: 15 min is past chol@0's 10 min TTL; the created tie wins.
    expect(result[0]).toEqual({ 'vit:smoker': true, 'vit:hr': 71, 'labs:chol': null })
    expect(result[5]?.['labs:chol']).toBe(6)
  })

  it('historical refuses views of different entities', async () => {
    const a = testView('ea', [{ name: 'x', type: 'int' }])
    const b = testView('eb', [{ name: 'y', type: 'int' }], { entity: 'hospital' })
    await store.ensureTables([a, b])
    await expect(
      store.historical({
        entityRows: [{ entityKey: '1', eventTs: at(1) }],
        features: [
          { view: a, fields: ['x'] },
          { view: b, fields: ['y'] },
        ],
      }),
    ).rejects.toThrow(/share one entity/)
  })
})
