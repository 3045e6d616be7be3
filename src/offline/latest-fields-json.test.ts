import fc from 'fast-check'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testDatabases } from '../../test/support/databases.js'
import { connectDb, type Db } from '../db/connect.js'
import type { StoredView } from '../features/schema.js'
import { makeFieldsJsonRowText, makeRedisRowEncoder } from '../online/redis-row-codec.js'
import { latestFieldsJsonPages, latestRowsPages } from './latest-rows.js'
import type { FeatureRow, FeatureValue, FieldsJsonRow, OfflineStore } from './offline-store.js'
import { createPostgresOfflineStore } from './postgres-offline-store.js'
import { EDGE_VALUES, testView } from './test-support/views.js'
import { viewTable } from './view-tables.js'

const collect = async <T>(pages: AsyncIterable<T[]>): Promise<T[][]> => {
  const out: T[][] = []
  for await (const page of pages) out.push(page)
  return out
}

const byKey = (a: { entityKey: string }, b: { entityKey: string }) =>
  a.entityKey < b.entityKey ? -1 : a.entityKey > b.entityKey ? 1 : 0

/** Each entity's online row text by both paths: JavaScript's encoder, and the database's JSON. */
const bothTexts = async (
  store: OfflineStore,
  view: StoredView,
  start: Date | undefined,
  end: Date,
): Promise<{ fromValues: string[]; fromJson: string[]; keys: string[] }> => {
  const rows = (await collect(store.latestRows(view, start, end))).flat().sort(byKey)
  const json = (await collect(store.latestFieldsJson(view, start, end))).flat().sort(byKey)
  const encode = makeRedisRowEncoder(view)
  const text = makeFieldsJsonRowText(view)
  return {
    fromValues: rows.map(encode),
    fromJson: json.map(text),
    keys: json.map((r) => r.entityKey),
  }
}

const fields = [
  { name: 'i', type: 'int' },
  { name: 'f', type: 'float' },
  { name: 'b', type: 'bool' },
  { name: 'c', type: 'categorical' },
  { name: 's', type: 'string' },
  { name: 'f2', type: 'float' },
  { name: 'i2', type: 'int' },
  { name: 's2', type: 'string' },
] as const

/** Text with control characters and any code unit but NUL (a lone surrogate is stored as U+FFFD). */
const text = fc.string({ unit: 'binary', maxLength: 12 }).filter((s) => !s.includes('\0'))

const arbitraryOf: Record<(typeof fields)[number]['type'], fc.Arbitrary<FeatureValue>> = {
  int: fc.option(fc.maxSafeInteger()),
  float: fc.option(
    fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.constantFrom(0.1 + 0.2, 1e21, 1e-7, 123456789012345680000, 5e-324, -1.5),
    ),
  ),
  bool: fc.option(fc.boolean()),
  categorical: fc.option(fc.constantFrom('a', 'None', '>30', 'é')),
  string: fc.option(text),
}

describe.each(testDatabases())('latestFieldsJson on $name', ({ open }) => {
  let db: Db
  let store: OfflineStore
  const view = testView(
    'fj',
    fields.map((f) => ({ ...f })),
  )
  beforeAll(async () => {
    db = await open()
    store = createPostgresOfflineStore(db)
    await store.ensureTables([view])
  })
  afterAll(async () => {
    await db.close()
  })

  it('gives the rows latestRows gives, and the same online row once parsed, for any values', async () => {
    let run = 0
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record(Object.fromEntries(fields.map((f) => [f.name, arbitraryOf[f.type]]))), {
          minLength: 1,
          maxLength: 12,
        }),
        async (valuesList) => {
          // Each run writes its own entities at its own time and reads only that time's rows.
          run += 1
          const at = new Date(Date.UTC(2020, 0, 1) + run * 60_000)
          const rows: FeatureRow[] = valuesList.map((values, k) => ({
            entityKey: `r${run}_${k}`,
            eventTs: at,
            createdTs: null,
            values: values as Record<string, FeatureValue>,
          }))
          await store.writeRows(view, rows)
          const { fromValues, fromJson, keys } = await bothTexts(
            store,
            view,
            new Date(at.getTime() - 1),
            at,
          )
          expect(keys).toEqual(rows.map((r) => r.entityKey).sort())
          expect(fromJson.map((t) => JSON.parse(t))).toEqual(fromValues.map((t) => JSON.parse(t)))
        },
      ),
      { numRuns: 40 },
    )
  })

  it('pages like latestRows, ties broken by created time, and a view with no fields', async () => {
    const v = testView('fj_pages', [{ name: 'x', type: 'float' }])
    const bare = testView('fj_bare', [])
    await store.ensureTables([v, bare])
    const t = (m: number) => new Date(Date.UTC(2024, 0, 1) + m * 60_000)
    const rows: FeatureRow[] = []
    for (let k = 0; k < 25; k++) {
      rows.push(
        { entityKey: `k${k}`, eventTs: t(3), createdTs: t(2), values: { x: k + 0.5 } },
        { entityKey: `k${k}`, eventTs: t(3), createdTs: null, values: { x: -k } },
        { entityKey: `k${k}`, eventTs: t(9), createdTs: null, values: { x: 99 } },
      )
    }
    await store.writeRows(v, rows)
    const pages = await collect(latestFieldsJsonPages(db, v, t(0), t(5), 10))
    expect(pages.map((p) => p.length)).toEqual([10, 10, 5])
    const rowPages = await collect(latestRowsPages(db, v, t(0), t(5), 10))
    expect(pages.map((p) => p.map((r) => r.entityKey))).toEqual(
      rowPages.map((p) => p.map((r) => r.entityKey)),
    )
    const got = pages.flat().sort(byKey)
    expect(got.map((r) => [r.entityKey, r.eventTs.getTime(), r.fieldsJson])).toEqual(
      Array.from({ length: 25 }, (_, k) => [`k${k}`, t(3).getTime(), `,"x":${k + 0.5}`]).sort(),
    )
    await store.writeRows(bare, [{ entityKey: 'only', eventTs: t(1), createdTs: null, values: {} }])
    const none = (await collect(store.latestFieldsJson(bare, undefined, t(5)))).flat()
    expect(none).toEqual([{ entityKey: 'only', eventTs: t(1), fieldsJson: '' }])
  })

  it('gives the same online rows for a view of 150 fields (two concat calls of ≤ 100)', async () => {
    const types = ['int', 'float', 'bool', 'categorical', 'string'] as const
    const wide = testView(
      'fj_wide',
      Array.from({ length: 150 }, (_, i) => ({
        name: `f${i}`,
        type: types[i % 5] as (typeof types)[number],
      })),
    )
    await store.ensureTables([wide])
    const t = new Date(Date.UTC(2024, 0, 1))
    await store.writeRows(
      wide,
      Array.from({ length: 9 }, (_, k) => ({
        entityKey: `w${k}`,
        eventTs: t,
        createdTs: null,
        values: Object.fromEntries(
          wide.fields.map((f, i) => {
            const choices = EDGE_VALUES[f.type]
            return [f.name, choices[(k + i) % choices.length] as FeatureValue]
          }),
        ),
      })),
    )
    const { fromValues, fromJson } = await bothTexts(store, wide, undefined, t)
    expect(fromJson).toHaveLength(9)
    expect(fromJson.map((x) => JSON.parse(x))).toEqual(fromValues.map((x) => JSON.parse(x)))
    // The last field's member comes from the second concat call.
    expect(fromJson.some((x) => x.includes('"f149":'))).toBe(true)
  })

  it('refuses a column retyped around Ward (CONFLICT naming view and field), as ensureTables does', async () => {
    const v = testView('fj_retyped', [{ name: 'n', type: 'int' }])
    await store.ensureTables([v])
    const table = viewTable(v).table
    await sql`alter table ${sql.id(table)} alter column n type double precision`.execute(db.kysely)
    await sql`insert into ${sql.id(table)} (entity_key, event_ts, created_ts, n)
      values ('e', now(), '-infinity', 1.5)`.execute(db.kysely)
    const read = collect(store.latestFieldsJson(v, undefined, new Date(Date.now() + 60_000)))
    await expect(read).rejects.toThrow(
      /view fj_retyped: field n is stored as double precision in fv_fj_retyped, but is now a int/,
    )
  })

  it('writes -0 as 0, microsecond times as their millisecond, and null fields not at all', async () => {
    const v = testView('fj_odd', [
      { name: 'x', type: 'float' },
      { name: 'n', type: 'int' },
    ])
    await store.ensureTables([v])
    const table = viewTable(v).table
    await sql`insert into ${sql.id(table)} (entity_key, event_ts, created_ts, x, n) values
      ('neg_zero', '1969-12-31 23:59:59.9985+00', '-infinity', '-0', null),
      ('nulls', '1970-01-01 00:00:00.0015+00', '-infinity', null, null)`.execute(db.kysely)
    const got = (await collect(store.latestFieldsJson(v, undefined, new Date(1e12)))).flat()
    expect(got.sort(byKey).map((r) => [r.entityKey, r.eventTs.getTime(), r.fieldsJson])).toEqual([
      ['neg_zero', -2, ',"x":0'],
      ['nulls', 1, ''],
    ])
  })

  it('refuses a value JSON cannot carry, naming view, field and entity', async () => {
    const v = testView('fj_bad', [
      { name: 'x', type: 'float' },
      { name: 'n', type: 'int' },
    ])
    await store.ensureTables([v])
    const table = viewTable(v).table
    const cases: [string, string, RegExp][] = [
      ['NaN', '1', /fj_bad:x of entity 'e' holds a value JSON cannot carry exactly/],
      ['Infinity', '1', /fj_bad:x of entity 'e'.*a float that is NaN or infinite/],
      ['-Infinity', '1', /fj_bad:x of entity 'e'/],
      ['1', '9007199254740992', /fj_bad:n of entity 'e'.*beyond ±\(2\^53 − 1\)/],
      ['1', '-9223372036854775808', /fj_bad:n of entity 'e'/],
    ]
    for (const [x, n, message] of cases) {
      await sql`delete from ${sql.id(table)}`.execute(db.kysely)
      await sql`insert into ${sql.id(table)} (entity_key, event_ts, created_ts, x, n)
        values ('e', now(), '-infinity', ${x}::float8, ${n}::bigint)`.execute(db.kysely)
      const read = collect(store.latestFieldsJson(v, undefined, new Date(Date.now() + 60_000)))
      await expect(read, `${x}, ${n}`).rejects.toThrow(message)
    }
    // The largest ints JSON carries exactly are fine.
    await sql`delete from ${sql.id(table)}`.execute(db.kysely)
    await sql`insert into ${sql.id(table)} (entity_key, event_ts, created_ts, x, n)
      values ('e', now(), '-infinity', 1, -9007199254740991)`.execute(db.kysely)
    const ok = await collect(store.latestFieldsJson(v, undefined, new Date(Date.now() + 60_000)))
    expect(ok.flat().map((r: FieldsJsonRow) => r.fieldsJson)).toEqual([
      ',"x":1,"n":-9007199254740991',
    ])
  })
})

describe.skipIf(!process.env.DATABASE_URL)('float text on a server set to fewer digits', () => {
  it('reads floats back exactly even when the database sets extra_float_digits = 0', async () => {
    const postgres = testDatabases().find((d) => d.name === 'postgres')
    if (!postgres) throw new Error('DATABASE_URL is set, so testDatabases() has Postgres')
    const db = await postgres.open()
    let lowDigits: Db | undefined
    try {
      const current = await sql<{ name: string }>`select current_database() as name`.execute(
        db.kysely,
      )
      const name = current.rows[0]?.name as string
      await sql`alter database ${sql.id(name)} set extra_float_digits = 0`.execute(db.kysely)
      const url = new URL(process.env.DATABASE_URL as string)
      url.pathname = `/${name}`
      lowDigits = await connectDb({ type: 'postgres', url: url.toString() })
      const store = createPostgresOfflineStore(lowDigits)
      const v = testView('digits', [
        { name: 'x', type: 'float' },
        { name: 'n', type: 'int' },
      ])
      await store.ensureTables([v])
      const values = [0.1 + 0.2, 1 / 3, 2 ** -1074, 123456789.12345679]
      const ints = [2 ** 53 - 1, -(2 ** 53 - 1), 123456789012345, 1]
      const t = new Date(Date.UTC(2024, 0, 1))
      await store.writeRows(
        v,
        values.map((x, k) => ({
          entityKey: `k${k}`,
          eventTs: t,
          createdTs: null,
          values: { x, n: ints[k] as number },
        })),
      )
      const end = new Date(t.getTime() + 1)
      const rows = (await collect(store.latestRows(v, undefined, end))).flat().sort(byKey)
      expect(rows.map((r) => [r.values.x, r.values.n])).toEqual(values.map((x, k) => [x, ints[k]]))
      const json = (await collect(store.latestFieldsJson(v, undefined, end))).flat().sort(byKey)
      expect(json.map((r) => JSON.parse(`{${r.fieldsJson.slice(1)}}`))).toEqual(
        values.map((x, k) => ({ x, n: ints[k] })),
      )
      // And point-in-time reads, which go through the same connections.
      const pit = await store.historical({
        entityRows: [{ entityKey: 'k0', eventTs: t }],
        features: [{ view: v, fields: ['x', 'n'] }],
      })
      expect(pit).toEqual([{ 'digits:x': values[0], 'digits:n': ints[0] }])
    } finally {
      await lowDigits?.close()
      await db.close()
    }
  })
})
