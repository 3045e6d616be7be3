import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testDatabases } from '../../test/support/databases.js'
import type { Db } from '../db/connect.js'
import type { FeatureRow } from './offline-store.js'
import { createPostgresOfflineStore } from './postgres-offline-store.js'
import { openRowWriter } from './row-writer.js'
import { inSession, type Session } from './session.js'
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

  it('makes early flushes larger as they add up (few savepoints on big files)', async () => {
    const store = createPostgresOfflineStore(db)
    const v = testView('growing_flushes', [{ name: 's', type: 'string' }])
    await store.ensureTables([v])
    const flushed: number[] = []
    await inSession(db, async (s) => {
      const recording: Session = {
        ...s,
        serverRunsAlongside: true,
        copyIn: (target, chunks) => {
          const list = [...chunks]
          flushed.push(
            list.reduce((n, c) => n + (typeof c === 'string' ? c.length : c.byteLength), 0),
          )
          return s.copyIn(target, list)
        },
      }
      const writer = await openRowWriter(recording, [viewTable(v)], {
        minFlushBytes: 1 << 10,
        flushBytes: 64 << 10,
      })
      // Rows arrive slowly (a pause every 100 rows), so each flush ends before much piles up.
      for (let i = 0; i < 20_000; i++) {
        writer.add(v.name, row(`k${i}`, 1, { s: 'x'.repeat(20) }))
        if (i % 100 === 99) {
          await writer.flushIfFull()
          await new Promise((r) => setTimeout(r, 1))
        }
      }
      await writer.finish()
    })
    expect(flushed.length).toBeGreaterThan(16)
    // Every flush but the last (finish writes what is left) meets the minimum of its turn.
    flushed.slice(0, -1).forEach((bytes, k) => {
      expect(bytes).toBeGreaterThanOrEqual(Math.min(64 << 10, (1 << 10) * 2 ** Math.floor(k / 8)))
    })
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

  it('keeps the first row when the key refuses a large COPY mid-stream, and goes on', async () => {
    // The repeat is the second row of a 4 MiB flush: the server refuses that COPY while most of
    // it is still on its way (the case that crashed pg-copy-streams' drain handler).
    const store = createPostgresOfflineStore(db)
    const v = testView('big_refused', [{ name: 's', type: 'string' }])
    await store.ensureTables([v])
    const pad = 'x'.repeat(100)
    const rows = 100_000
    const stored = await inSession(db, async (s) => {
      const writer = await openRowWriter(s, [viewTable(v)], { flushBytes: 4 << 20 })
      writer.add(v.name, row('k0', 1, { s: 'first' }))
      writer.add(v.name, row('k0', 1, { s: 'second' }))
      for (let i = 1; i < rows; i++) {
        writer.add(v.name, row(`k${i}`, 1, { s: pad }))
        if (i % 1000 === 0) await writer.flushIfFull()
      }
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
})
