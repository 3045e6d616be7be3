import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testDatabases } from '../../test/support/databases.js'
import type { Db } from '../db/connect.js'
import type { FeatureRow } from './offline-store.js'
import { createPostgresOfflineStore } from './postgres-offline-store.js'
import { openRowWriter } from './row-writer.js'
import { inSession } from './session.js'
import { at, row, testView } from './test-support/views.js'
import { viewTable } from './view-tables.js'

describe.each(testDatabases())('row writer on $name', ({ open }) => {
  let db: Db
  beforeAll(async () => {
    db = await open()
  })
  afterAll(async () => {
    await db.close()
  })

  it('keeps the first row of a repeated key, whichever flush repeats it', async () => {
    const store = createPostgresOfflineStore(db)
    const v = testView('overflow', [{ name: 'n', type: 'int' }])
    await store.ensureTables([v])
    const rows: FeatureRow[] = [
      row('k1', 1, { n: 1 }),
      row('k2', 1, { n: 2 }),
      // Every row is flushed alone: the first repeat is refused by the key mid-load.
      row('k1', 1, { n: 3 }),
      row('k3', 1, { n: 4 }),
      row('k3', 1, { n: 5 }),
      row('k2', 2, { n: 6 }),
    ]
    const stored = await inSession(db, async (s) => {
      const writer = await openRowWriter(s, [viewTable(v)], { flushBytes: 1 })
      for (const r of rows) {
        writer.add(v.name, r)
        await writer.flushIfFull()
      }
      return (await writer.finish()).get(v.name)
    })
    expect(stored).toBe(4)
    const got: FeatureRow[] = []
    for await (const page of store.latestRows(v, undefined, at(10))) got.push(...page)
    expect(Object.fromEntries(got.map((r) => [r.entityKey, r.values.n]))).toEqual({
      k1: 1,
      k2: 6,
      k3: 4,
    })
  })
  it('stores the first of each key when flushes start whenever the server is free', async () => {
    // Small minimum: many flushes of whatever piled up meanwhile, some after a repeat switched
    // the view to staging. The oracle is the first row of each key in input order.
    const store = createPostgresOfflineStore(db)
    const v = testView('adaptive', [{ name: 'n', type: 'int' }])
    await store.ensureTables([v])
    const rows: FeatureRow[] = []
    for (let i = 0; i < 20_000; i++) rows.push(row(`k${(i * 7919) % 15_000}`, 1, { n: i }))
    const first = new Map<string, number>()
    for (const r of rows) if (!first.has(r.entityKey)) first.set(r.entityKey, r.values.n as number)
    const stored = await inSession(db, async (s) => {
      const writer = await openRowWriter(s, [viewTable(v)], {
        minFlushBytes: 2 << 10,
        flushBytes: 64 << 10,
      })
      for (const [i, r] of rows.entries()) {
        writer.add(v.name, r)
        if (i % 100 === 0) await writer.flushIfFull()
      }
      return (await writer.finish()).get(v.name)
    })
    expect(stored).toBe(first.size)
    const got = new Map<string, unknown>()
    for await (const page of store.latestRows(v, undefined, at(10))) {
      for (const r of page) got.set(r.entityKey, r.values.n)
    }
    expect(got).toEqual(first)
  })

  /** The names of the view table's primary key columns, in order; [] when it has none. */
  const primaryKeyOf = async (table: string): Promise<string[]> => {
    const { rows } = await sql<{ name: string }>`select a.attname as name
      from pg_index i
      join pg_class c on c.oid = i.indrelid
      cross join lateral unnest(i.indkey) with ordinality as k(attnum, n)
      join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum
      where c.relname = ${table} and i.indisprimary
      order by k.n`.execute(db.kysely)
    return rows.map((r) => r.name)
  }

  it('builds the primary key again after a first load, also when the file repeated a key', async () => {
    const store = createPostgresOfflineStore(db)
    const plain = testView('key_back', [{ name: 'n', type: 'int' }])
    const repeated = testView('key_back_repeat', [{ name: 'n', type: 'int' }])
    await store.ensureTables([plain, repeated])
    const stored = await inSession(db, async (s) => {
      const writer = await openRowWriter(s, [viewTable(plain), viewTable(repeated)])
      writer.add(plain.name, row('a', 1, { n: 1 }))
      writer.add(repeated.name, row('a', 1, { n: 1 }))
      writer.add(repeated.name, row('a', 1, { n: 2 }))
      return await writer.finish()
    })
    expect(Object.fromEntries(stored)).toEqual({ key_back: 1, key_back_repeat: 1 })
    for (const v of [plain, repeated]) {
      expect(await primaryKeyOf(viewTable(v).table)).toEqual([
        'entity_key',
        'event_ts',
        'created_ts',
      ])
    }
    // The key is back in force: a second load of the same row adds nothing.
    expect(await store.writeRows(plain, [row('a', 1, { n: 9 })])).toBe(0)
  })

  it('leaves an empty table as it was, key included, when its first load fails', async () => {
    const store = createPostgresOfflineStore(db)
    const v = testView('key_rollback', [{ name: 'n', type: 'int' }])
    await store.ensureTables([v])
    await expect(
      inSession(db, async (s) => {
        const writer = await openRowWriter(s, [viewTable(v)], { flushBytes: 1 })
        for (let i = 0; i < 100; i++) {
          writer.add(v.name, row(`k${i}`, 1, { n: i }))
          await writer.flushIfFull()
        }
        throw new Error('bad row further down')
      }),
    ).rejects.toThrow('bad row further down')
    expect(await primaryKeyOf(viewTable(v).table)).toEqual(['entity_key', 'event_ts', 'created_ts'])
    const { rows } = await sql<{ n: string }>`select count(*) as n from ${sql.id(
      viewTable(v).table,
    )}`.execute(db.kysely)
    expect(Number(rows[0]?.n)).toBe(0)
    // The next load, into the table that failed one left behind, still keeps the first of a key.
    expect(
      await store.writeRows(v, [
        row('k1', 1, { n: 10 }),
        row('k2', 1, { n: 20 }),
        row('k1', 1, { n: 30 }),
      ]),
    ).toBe(2)
    const got = new Map<string, unknown>()
    for await (const page of store.latestRows(v, undefined, at(10))) {
      for (const r of page) got.set(r.entityKey, r.values.n)
    }
    expect(got).toEqual(
      new Map([
        ['k1', 10],
        ['k2', 20],
      ]),
    )
  })

  it('gives a table its first statistics when it loads its first rows', async () => {
    const store = createPostgresOfflineStore(db)
    const v = testView('first_load', [{ name: 'n', type: 'int' }])
    await store.ensureTables([v])
    const reltuples = async () => {
      const { rows } = await sql<{ n: number }>`select reltuples::float8 as n from pg_class
        where relname = ${viewTable(v).table}`.execute(db.kysely)
      return rows[0]?.n
    }
    expect(await reltuples()).toBe(-1) // never analyzed: the planner would guess its size
    await store.writeRows(
      v,
      Array.from({ length: 500 }, (_, i) => row(`k${i}`, 1, { n: i })),
    )
    expect(await reltuples()).toBe(500)
  })

  it('keeps the first in the file after a failed load left dead rows of mixed sizes', async () => {
    // The writer keeps the lowest ctid of a key: rows of mixed sizes over many pages, after dead
    // ones, must still lie in file order (the writer truncates the empty table first).
    const store = createPostgresOfflineStore(db)
    const v = testView('mixed_sizes', [
      { name: 'n', type: 'int' },
      { name: 's', type: 'string' },
    ])
    await store.ensureTables([v])
    const size = (i: number) => (i % 7 === 0 ? 40 : i % 3 === 0 ? 1900 : 3000 + (i % 5) * 500)
    const text = (i: number) => String(i % 10).repeat(size(i))
    await expect(
      inSession(db, async (s) => {
        const w = await openRowWriter(s, [viewTable(v)], { flushBytes: 50_000 })
        for (let i = 0; i < 3000; i++) {
          w.add(v.name, row(`x${i}`, 1, { n: i, s: text(i) }))
          await w.flushIfFull()
        }
        await w.finish()
        throw new Error('failed on purpose')
      }),
    ).rejects.toThrow('failed on purpose')
    const stored = await inSession(db, async (s) => {
      const w = await openRowWriter(s, [viewTable(v)], { flushBytes: 60_000, minFlushBytes: 1 })
      // k0…k1999 come twice: rows 0–1999 first, rows 4000–5999 repeat them.
      for (let i = 0; i < 6000; i++) {
        w.add(v.name, row(`k${i % 4000}`, 1, { n: i, s: text(i) }))
        await w.flushIfFull()
      }
      return (await w.finish()).get(v.name)
    })
    expect(stored).toBe(4000)
    const { rows } = await sql<{ repeats: number }>`select count(*)::int as repeats
      from ${sql.id(viewTable(v).table)} where n >= 4000`.execute(db.kysely)
    expect(rows[0]?.repeats).toBe(0)
  })

  it('keeps the first row of a key repeated within a large first load', async () => {
    const store = createPostgresOfflineStore(db)
    const v = testView('big_repeat', [{ name: 's', type: 'string' }])
    await store.ensureTables([v])
    const pad = 'x'.repeat(100)
    const rows = 100_000
    const stored = await inSession(db, async (s) => {
      const writer = await openRowWriter(s, [viewTable(v)], { flushBytes: 4 << 20 })
      writer.add(v.name, row('k0', 1, { s: 'first' }))
      for (let i = 1; i < rows; i++) {
        writer.add(v.name, row(`k${i}`, 1, { s: pad }))
        if (i % 1000 === 0) await writer.flushIfFull()
      }
      // The repeat comes last, many flushes after the row it repeats.
      writer.add(v.name, row('k0', 1, { s: 'second' }))
      return (await writer.finish()).get(v.name)
    })
    expect(stored).toBe(rows)
    let first: unknown
    let count = 0
    for await (const page of store.latestRows(v, undefined, at(10))) {
      count += page.length
      first ??= page.find((r) => r.entityKey === 'k0')?.values.s
    }
    expect([count, first]).toEqual([rows, 'first'])
  })

  it("fails cleanly with the server's reason when it refuses a large COPY mid-stream", async () => {
    // The bad line is the second of a 4 MiB flush: the server refuses that COPY while most of it
    // is still on its way (the case that crashed pg-copy-streams' drain handler).
    const store = createPostgresOfflineStore(db)
    const v = testView('big_refused', [{ name: 'n', type: 'int' }])
    await store.ensureTables([v])
    await expect(
      inSession(db, async (s) => {
        const writer = await openRowWriter(s, [viewTable(v)], { flushBytes: 4 << 20 })
        writer.add(v.name, row('k0', 1, { n: 0 }))
        writer.addLine(v.name, 'k1\t2024-01-01T00:01:00.000Z\t-infinity\tnot-a-number\n')
        for (let i = 2; i < 300_000; i++) {
          writer.add(v.name, row(`k${i}`, 1, { n: i }))
          if (i % 1000 === 0) await writer.flushIfFull()
        }
        return (await writer.finish()).get(v.name)
      }),
    ).rejects.toThrow(/invalid input syntax for type bigint/)
    expect(await store.writeRows(v, [row('k0', 1, { n: 0 })])).toBe(1)
  })
})

describe.each(testDatabases().filter((d) => d.name === 'postgres'))(
  'row writer beside readers on $name',
  ({ open }) => {
    it("never waits for a reader's lock on an empty table, so it cannot deadlock with one", async () => {
      const db = await open()
      try {
        const store = createPostgresOfflineStore(db)
        const a = testView('beside_a', [{ name: 'n', type: 'int' }])
        const b = testView('beside_b', [{ name: 'n', type: 'int' }])
        await store.ensureTables([a, b])
        // A reader in an open transaction holds b (ACCESS SHARE) and would next want a: had the
        // writer locked a and then waited for b, each would wait for the other.
        let release = () => {}
        const released = new Promise<void>((r) => {
          release = r
        })
        let holding = () => {}
        const holds = new Promise<void>((r) => {
          holding = r
        })
        const reader = db.kysely.transaction().execute(async (tx) => {
          await sql`select count(*) from ${sql.id(viewTable(b).table)}`.execute(tx)
          holding()
          await released
        })
        await holds
        const writing = inSession(db, async (s) => {
          const w = await openRowWriter(s, [viewTable(a), viewTable(b)])
          w.add(a.name, row('k', 1, { n: 1 }))
          w.add(b.name, row('k', 1, { n: 2 }))
          return await w.finish()
        })
        const first = await Promise.race([
          writing,
          new Promise<'waited'>((r) => setTimeout(() => r('waited'), 5000)),
        ])
        release()
        await reader
        await writing
        expect(first).toEqual(
          new Map([
            ['beside_a', 1],
            ['beside_b', 1],
          ]),
        )
        expect(await store.writeRows(b, [row('k', 1, { n: 3 })])).toBe(0)
      } finally {
        await db.close()
      }
    })
  },
)
