import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testDatabases } from '../../test/support/databases.js'
import type { Db } from '../db/connect.js'
import type { StoredView } from '../features/schema.js'
import { materialize } from './materialize.js'
import { MemoryOnlineStore } from './memory-online-store.js'
import { PostgresWatermarkStore } from './postgres-watermark-store.js'
import { FakeOfflineStore, failingOnlineStore } from './test-support.js'

const view: StoredView = {
  kind: 'feature',
  name: 'vitals',
  entity: 'patient',
  source: 'src',
  ttl: 0,
  fields: [{ name: 'v', type: 'float', nullable: true, missing_values: [] }],
}

for (const database of testDatabases()) {
  describe(`postgres watermark store on ${database.name}`, () => {
    let db: Db
    // One database per backend (PGlite takes seconds to start); the tests use distinct views.
    beforeAll(async () => {
      db = await database.open()
    })
    afterAll(async () => {
      await db.close()
    })

    it('has no watermark at first, then keeps the last one set, to the millisecond', async () => {
      const stamps = [new Date('2030-01-01T00:00:00Z'), new Date('2030-01-02T00:00:00Z')]
      const store = new PostgresWatermarkStore(db, () => stamps.shift() ?? new Date(0))
      expect(await store.get('vitals')).toBeUndefined()
      await store.set('vitals', new Date('2024-03-01T12:00:00.123Z'))
      await store.set('labs', new Date('2020-01-01T00:00:00Z'))
      await store.set('vitals', new Date('2024-03-02T00:00:00.001Z'))
      expect(await store.get('vitals')).toEqual(new Date('2024-03-02T00:00:00.001Z'))
      expect(await store.get('labs')).toEqual(new Date('2020-01-01T00:00:00Z'))
      const rows = await db.kysely
        .selectFrom('materialization_watermarks')
        .selectAll()
        .where('view', 'in', ['labs', 'vitals'])
        .orderBy('view')
        .execute()
      expect(rows.map((r) => [r.view, r.updated_at.toISOString()])).toEqual([
        ['labs', '2030-01-02T00:00:00.000Z'],
        ['vitals', '1970-01-01T00:00:00.000Z'],
      ])
    })

    it('stays unset when materialize fails midway, and is set by the re-run', async () => {
      const bp = { ...view, name: 'bp' }
      const offline = new FakeOfflineStore(10)
      offline.add(
        'bp',
        Array.from({ length: 35 }, (_, i) => ({
          entityKey: `p${i}`,
          eventTs: new Date(Date.UTC(2024, 0, 1, 0, i)),
          createdTs: null,
          values: { v: i / 2 },
        })),
      )
      const watermarks = new PostgresWatermarkStore(db)
      const memory = await MemoryOnlineStore.open()
      const end = new Date('2024-02-01T00:00:00Z')
      const args = { offline, views: [bp], watermarks, start: undefined, end }
      await expect(
        materialize({ ...args, online: failingOnlineStore(memory, 3) }),
      ).rejects.toThrow()
      expect(await watermarks.get('bp')).toBeUndefined()
      const report = await materialize({ ...args, online: memory })
      expect(report.rows).toBe(35)
      expect(await watermarks.get('bp')).toEqual(end)
    })
  })
}
