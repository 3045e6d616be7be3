import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { testDatabases } from '../../test/support/databases.js'
import type { Db } from '../db/connect.js'
import type { FeatureRow, FeatureValue, OfflineStore } from '../offline/offline-store.js'
import { createPostgresOfflineStore } from '../offline/postgres-offline-store.js'
import { EDGE_VALUES, testView } from '../offline/test-support/views.js'
import { viewTable } from '../offline/view-tables.js'
import { materialize } from './materialize.js'
import { MemoryOnlineStore } from './memory-online-store.js'
import type { OnlineStore } from './online-store.js'
import { deleteRedisKeys } from './redis-connect.js'
import { RedisOnlineStore } from './redis-online-store.js'
import { MemoryWatermarkStore } from './watermark-store.js'

/**
 * `materialize` from the real offline store into each online store: the in-process one takes
 * rows (`write`), Redis takes the fields as JSON the database wrote (`writeFieldsJson`). Both
 * must serve exactly the values written offline.
 */
const redisUrl = process.env.REDIS_URL ?? ''
const runId = randomBytes(4).toString('hex')

const onlineStores: { name: string; open: (project: string) => Promise<OnlineStore> }[] = [
  { name: 'memory', open: () => MemoryOnlineStore.open() },
  ...(redisUrl
    ? [
        {
          name: 'redis',
          open: (project: string) =>
            RedisOnlineStore.connect(redisUrl, { project, rowsPerCall: 64, callsInFlight: 3 }),
        },
      ]
    : []),
]

const view = testView('mat_all', [
  { name: 'n', type: 'int' },
  { name: 'x', type: 'float' },
  { name: 'flag', type: 'bool' },
  { name: 'cat', type: 'categorical' },
  { name: 'note', type: 'string' },
  { name: 'constructor', type: 'string' },
])

const day = (d: number): Date => new Date(Date.UTC(2024, 0, d))

/** 300 entities, each with an older row (day 1) and a newer one (day 2) that must win. */
const history = (): FeatureRow[] =>
  Array.from({ length: 300 }, (_, k) =>
    [1, 2].map(
      (d): FeatureRow => ({
        entityKey: `e${k}`,
        eventTs: day(d),
        createdTs: null,
        values: Object.fromEntries(
          view.fields.map((f, i) => {
            const choices = EDGE_VALUES[f.type]
            return [f.name, choices[(k * d + i) % choices.length] as FeatureValue]
          }),
        ),
      }),
    ),
  ).flat()

describe.each(testDatabases())('materialize from the offline store on $name', ({ open }) => {
  let db: Db
  let offline: OfflineStore
  let admin: Redis | undefined
  beforeAll(async () => {
    db = await open()
    offline = createPostgresOfflineStore(db)
    await offline.ensureTables([view])
    await offline.writeRows(view, history())
    if (redisUrl) admin = new Redis(redisUrl)
  })
  afterAll(async () => {
    if (admin) {
      await deleteRedisKeys(admin, `ward:matstores_${runId}_*`)
      await admin.quit()
    }
    await db.close()
  })

  for (const store of onlineStores) {
    it(`into ${store.name}: every entity's latest values, exactly as written`, async () => {
      const online = await store.open(`matstores_${runId}_${store.name}_ok`)
      try {
        const fieldsJson = online.writeFieldsJson
          ? vi.spyOn(online as Required<OnlineStore>, 'writeFieldsJson')
          : undefined
        const report = await materialize({
          offline,
          online,
          views: [view],
          watermarks: new MemoryWatermarkStore(),
          start: undefined,
          end: day(10),
        })
        expect(report.rows).toBe(300)
        // Redis takes the database's JSON; the in-process store takes rows.
        if (fieldsJson) expect(fieldsJson).toHaveBeenCalled()
        const expected = history().filter((r) => r.eventTs.getTime() === day(2).getTime())
        const [got] = await online.read(
          [{ view, entityKeys: expected.map((r) => r.entityKey) }],
          day(11),
        )
        expect(got?.entities).toEqual(
          expected.map((r) => ({
            status: 'present',
            entityKey: r.entityKey,
            eventTs: r.eventTs,
            values: r.values,
          })),
        )
      } finally {
        await online.close()
      }
    })

    it(`into ${store.name}: a stored value JSON cannot carry fails the view and moves no watermark`, async () => {
      const bad = testView('mat_bad', [{ name: 'x', type: 'float' }])
      await offline.ensureTables([bad])
      const table = viewTable(bad).table
      await sql`delete from ${sql.id(table)}`.execute(db.kysely)
      await sql`insert into ${sql.id(table)} (entity_key, event_ts, created_ts, x)
        values ('ok', ${day(1)}, '-infinity', 1), ('nan', ${day(1)}, '-infinity', 'NaN')`.execute(
        db.kysely,
      )
      const online = await store.open(`matstores_${runId}_${store.name}_bad`)
      const watermarks = new MemoryWatermarkStore()
      try {
        await expect(
          materialize({
            offline,
            online,
            views: [bad],
            watermarks,
            start: undefined,
            end: day(10),
          }),
        ).rejects.toThrow(/mat_bad:x of entity 'nan'/)
        expect(await watermarks.get('mat_bad')).toBeUndefined()
        // The page that held the bad row was refused whole: its good row is not online either.
        const [got] = await online.read([{ view: bad, entityKeys: ['ok', 'nan'] }], day(11))
        expect(got?.entities.map((e) => e.status)).toEqual(['not_found', 'not_found'])
      } finally {
        await online.close()
      }
    })
  }
})
