import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testDatabases } from '../../test/support/databases.js'
import type { Db } from '../db/connect.js'
import type { FieldType } from '../features/schema.js'
import type { EntityRow, FeatureRow, FeatureValue } from '../offline/offline-store.js'
import { createPostgresOfflineStore } from '../offline/postgres-offline-store.js'
import { at, row, testView } from '../offline/test-support/views.js'
import { type InMemoryView, pointInTimeJoin } from './point-in-time.js'

describe('pointInTimeJoin (the spec)', () => {
  const history: FeatureRow[] = [
    row('7', 10, { x: 1 }),
    row('7', 20, { x: 2 }, 5),
    row('7', 20, { x: 3 }),
    row('7', 30, { x: 4 }),
    row('007', 15, { x: 9 }),
  ]
  const join = (ttlSeconds: number, entityRows: EntityRow[]) =>
    pointInTimeJoin(entityRows, [{ name: 'v', ttlSeconds, fields: ['x'], rows: history }]).map(
      (r) => r['v:x'],
    )

  it('takes the latest row at or before the entity time, never a later one', () => {
    expect(join(0, [{ entityKey: '7', eventTs: at(25) }])).toEqual([2])
    expect(join(0, [{ entityKey: '7', eventTs: at(30) }])).toEqual([4])
    expect(join(0, [{ entityKey: '7', eventTs: at(9) }])).toEqual([null])
  })
  it('compares keys as strings and honours the TTL window inclusively', () => {
    expect(join(0, [{ entityKey: '007', eventTs: at(16) }])).toEqual([9])
    expect(join(300, [{ entityKey: '7', eventTs: at(25) }])).toEqual([2])
    expect(join(299, [{ entityKey: '7', eventTs: at(25) }])).toEqual([null])
  })
  it('lets the first-written row win a full tie, as the store (ON CONFLICT DO NOTHING) does', () => {
    const rows = [row('a', 1, { x: 1 }), row('a', 1, { x: 2 })]
    const out = pointInTimeJoin(
      [{ entityKey: 'a', eventTs: at(1) }],
      [{ name: 'v', ttlSeconds: 0, fields: ['x'], rows }],
    )
    expect(out).toEqual([{ 'v:x': 1 }])
  })
})

// Randomized: the SQL join must equal the spec on random histories full of ties.
const KEYS = ['7', '007', 'a', 'b\\c', 'tab\tkey', 'Ω']
const TYPES: FieldType[] = ['int', 'float', 'bool', 'string', 'categorical']

const arbitraryValue = (type: FieldType): fc.Arbitrary<FeatureValue> => {
  const v: fc.Arbitrary<FeatureValue> =
    type === 'int'
      ? fc.integer({ min: -1_000_000, max: 1_000_000 })
      : type === 'float'
        ? fc.double({ noNaN: true, noDefaultInfinity: true })
        : type === 'bool'
          ? fc.boolean()
          : fc.string({ maxLength: 6 })
  return fc.option(v, { nil: null, freq: 4 })
}

const historyRow = (fields: { name: string; type: FieldType }[]) =>
  fc.record({
    key: fc.constantFrom(...KEYS),
    event: fc.integer({ min: 0, max: 12 }),
    created: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
    values: fc.tuple(...fields.map((f) => arbitraryValue(f.type))),
  })

const viewCase = fc
  .record({
    types: fc.array(fc.constantFrom(...TYPES), { minLength: 1, maxLength: 3 }),
    ttlMinutes: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 6 })),
  })
  .chain(({ types, ttlMinutes }) => {
    const fields = types.map((type, i) => ({ name: `f${i}`, type }))
    return fc.record({
      fields: fc.constant(fields),
      ttlMinutes: fc.constant(ttlMinutes),
      first: fc.array(historyRow(fields), { maxLength: 25 }),
      rewrite: fc.array(historyRow(fields), { maxLength: 8 }),
    })
  })

const pitCase = fc.record({
  views: fc.array(viewCase, { minLength: 1, maxLength: 3 }),
  entityRows: fc.array(
    fc.record({
      key: fc.constantFrom(...KEYS, 'nobody'),
      minute: fc.integer({ min: -1, max: 14 }),
    }),
    { maxLength: 20 },
  ),
})

const toRows = (
  fields: { name: string }[],
  rows: { key: string; event: number; created: number | undefined; values: FeatureValue[] }[],
) => {
  // One batch must not repeat a (key, event, created) triple: which copy a single INSERT keeps is
  // not something we specify. Across batches the first-written copy wins.
  const seen = new Set<string>()
  return rows.flatMap((r) => {
    const id = JSON.stringify([r.key, r.event, r.created ?? null])
    if (seen.has(id)) return []
    seen.add(id)
    return [
      row(
        r.key,
        r.event,
        Object.fromEntries(fields.map((f, i) => [f.name, r.values[i] ?? null])),
        r.created,
      ),
    ]
  })
}

describe.each(testDatabases())('historical on $name equals the in-memory spec', ({ open }) => {
  let db: Db
  beforeAll(async () => {
    db = await open()
  })
  afterAll(async () => {
    await db.close()
  })

  it('on random histories with equal timestamps, created-time ties, TTLs and duplicate entity rows', async () => {
    const store = createPostgresOfflineStore(db)
    let n = 0
    await fc.assert(
      fc.asyncProperty(pitCase, async ({ views, entityRows }) => {
        n += 1
        const specViews: InMemoryView[] = []
        const features = []
        for (const [i, v] of views.entries()) {
          const view = testView(`pit_${n}_${i}`, v.fields, { ttl: v.ttlMinutes * 60 })
          await store.ensureTables([view])
          const first = toRows(v.fields, v.first)
          const rewrite = toRows(v.fields, v.rewrite)
          await store.writeRows(view, first)
          await store.writeRows(view, rewrite)
          specViews.push({
            name: view.name,
            ttlSeconds: view.ttl,
            fields: v.fields.map((f) => f.name),
            rows: [...first, ...rewrite],
          })
          features.push({ view, fields: v.fields.map((f) => f.name).reverse() })
        }
        const entities = entityRows.map((e) => ({ entityKey: e.key, eventTs: at(e.minute) }))
        const got = await store.historical({ entityRows: entities, features })
        expect(got).toEqual(pointInTimeJoin(entities, specViews))
      }),
      { numRuns: 40, seed: 20240601 },
    )
  })
})
