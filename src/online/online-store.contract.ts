import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isAppError } from '../core/errors.js'
import type { FeatureRow, FeatureValue } from '../offline/offline-store.js'
import type { OnlineEntityResult, OnlineStore, OnlineView } from './online-store.js'

/** How a suite gets a fresh, empty store, and how it removes what the store left behind. */
export interface OnlineStoreHarness {
  open(): Promise<OnlineStore>
  cleanup?(): Promise<void>
}

const T0 = new Date('2024-03-01T12:00:00.000Z')
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000)

const vitals: OnlineView = {
  name: 'vitals',
  ttl: 60,
  fields: [
    { name: 'heart_rate', type: 'int' },
    { name: 'temp', type: 'float' },
    { name: 'smoker', type: 'bool' },
    { name: 'sex', type: 'categorical' },
    { name: 'note', type: 'string' },
  ],
}
const forever: OnlineView = { name: 'labs', ttl: 0, fields: [{ name: 'chol', type: 'float' }] }
const third: OnlineView = { name: 'visits', ttl: 3600, fields: [{ name: 'count', type: 'int' }] }

const row = (
  entityKey: string,
  eventTs: Date,
  values: Record<string, FeatureValue>,
): FeatureRow => ({
  entityKey,
  eventTs,
  createdTs: null,
  values,
})

const vitalsRow = (key: string, ts: Date, hr: number | null): FeatureRow =>
  row(key, ts, { heart_rate: hr, temp: 36.6, smoker: false, sex: 'F', note: null })

const only = (r: { entities: OnlineEntityResult[] } | undefined): OnlineEntityResult => {
  const e = r?.entities[0]
  if (!e) throw new Error('no result')
  return e
}

/**
 * The behaviour every online store must have. Run by `memory-online-store.test.ts` always and
 * `redis-online-store.test.ts` when REDIS_URL is set.
 */
export const runOnlineStoreContract = (name: string, harness: OnlineStoreHarness): void => {
  describe(`${name}: online store contract`, () => {
    let store: OnlineStore
    beforeEach(async () => {
      store = await harness.open()
    })
    afterEach(async () => {
      await store.close()
      await harness.cleanup?.()
    })

    const readOne = async (view: OnlineView, key: string, now: Date, fields?: string[]) =>
      only((await store.read([{ view, entityKeys: [key], ...(fields ? { fields } : {}) }], now))[0])

    it('answers not_found for an entity never written, present with values after a write', async () => {
      expect(await readOne(vitals, 'p1', T0)).toEqual({ status: 'not_found', entityKey: 'p1' })
      const report = await store.write(vitals, [vitalsRow('p1', T0, 72)])
      expect(report).toEqual({ written: 1, skippedOlder: 0 })
      expect(await readOne(vitals, 'p1', at(1))).toEqual({
        status: 'present',
        entityKey: 'p1',
        eventTs: T0,
        values: { heart_rate: 72, temp: 36.6, smoker: false, sex: 'F', note: null },
      })
    })

    it('is present exactly at the TTL and stale (values withheld) one millisecond after', async () => {
      await store.write(vitals, [vitalsRow('p1', T0, 72)])
      expect((await readOne(vitals, 'p1', at(60))).status).toBe('present')
      const stale = await readOne(vitals, 'p1', at(60.001))
      expect(stale).toEqual({ status: 'stale', entityKey: 'p1', eventTs: T0 })
      expect('values' in stale).toBe(false)
      // A row stamped after `now` (clock skew) is served, not hidden.
      expect((await readOne(vitals, 'p1', at(-5))).status).toBe('present')
    })

    it('never marks a ttl 0 view stale', async () => {
      await store.write(forever, [row('p1', T0, { chol: 5.2 })])
      const r = await readOne(forever, 'p1', new Date('2124-03-01T00:00:00Z'))
      expect(r).toMatchObject({ status: 'present', values: { chol: 5.2 } })
    })

    it('reads many entities × views in one call, in request order', async () => {
      const keys = Array.from({ length: 40 }, (_, i) => `p${i}`)
      const even = keys.filter((_, i) => i % 2 === 0)
      await store.write(
        vitals,
        even.map((k, i) => vitalsRow(k, at(-120 * (i % 2)), i)),
      )
      await store.write(
        forever,
        keys.map((k, i) => row(k, T0, { chol: i / 4 })),
      )
      await store.write(third, [row('p3', at(-7200), { count: 9 })])
      const result = await store.read(
        [
          { view: vitals, entityKeys: keys },
          { view: forever, entityKeys: [...keys].reverse(), fields: ['chol'] },
          { view: third, entityKeys: ['p3', 'p4'] },
        ],
        T0,
      )
      expect(result.map((r) => r.view)).toEqual(['vitals', 'labs', 'visits'])
      expect(result[0]?.entities.map((e) => e.entityKey)).toEqual(keys)
      result[0]?.entities.forEach((e, i) => {
        // Even keys were written; every other one of them 120 s ago, past the 60 s TTL.
        const expected = i % 2 === 1 ? 'not_found' : (i / 2) % 2 === 1 ? 'stale' : 'present'
        expect(e.status).toBe(expected)
        if (e.status === 'present') expect(e.values.heart_rate).toBe(i / 2)
      })
      result[1]?.entities.forEach((e, i) => {
        expect(e).toMatchObject({ status: 'present', values: { chol: (39 - i) / 4 } })
      })
      expect(result[2]?.entities.map((e) => e.status)).toEqual(['stale', 'not_found'])
      expect(await store.read([], T0)).toEqual([])
      expect(await store.read([{ view: vitals, entityKeys: [] }], T0)).toEqual([
        { view: 'vitals', entities: [] },
      ])
    })

    it('never lets an older row replace a newer one; equal event time overwrites', async () => {
      await store.write(vitals, [vitalsRow('p1', at(10), 80)])
      expect(await store.write(vitals, [vitalsRow('p1', at(5), 70)])).toEqual({
        written: 0,
        skippedOlder: 1,
      })
      expect(await readOne(vitals, 'p1', at(10))).toMatchObject({
        eventTs: at(10),
        values: { heart_rate: 80 },
      })
      await store.write(vitals, [vitalsRow('p1', at(10), 81)])
      expect(await readOne(vitals, 'p1', at(10))).toMatchObject({ values: { heart_rate: 81 } })
      // Within one batch too: the later event wins whatever the order.
      await store.write(vitals, [vitalsRow('p2', at(20), 90), vitalsRow('p2', at(15), 85)])
      expect(await readOne(vitals, 'p2', at(20))).toMatchObject({ values: { heart_rate: 90 } })
    })

    it('keeps any write order equal to "latest event time wins" (model check)', async () => {
      let run = 0
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.array(
              fc.record({ key: fc.constantFrom('a', 'b', 'c'), ts: fc.nat(20), v: fc.nat(1000) }),
              { maxLength: 4 },
            ),
            { minLength: 1, maxLength: 4 },
          ),
          async (batches) => {
            const view: OnlineView = { ...forever, name: `model_${run++}` }
            const model = new Map<string, { ts: number; v: number }>()
            for (const batch of batches) {
              await store.write(
                view,
                batch.map((w) => row(w.key, at(w.ts), { chol: w.v })),
              )
              for (const w of batch) {
                const cur = model.get(w.key)
                if (!cur || cur.ts <= w.ts) model.set(w.key, w)
              }
            }
            const [result] = await store.read([{ view, entityKeys: ['a', 'b', 'c'] }], T0)
            for (const e of result?.entities ?? []) {
              const m = model.get(e.entityKey)
              if (!m) expect(e.status).toBe('not_found')
              else expect(e).toMatchObject({ eventTs: at(m.ts), values: { chol: m.v } })
            }
          },
        ),
        { numRuns: 25 },
      )
    })

    it("treats keys as opaque strings: '007' is not '7'; ':', newlines, '__proto__' are keys", async () => {
      const keys = ['007', '7', 'a:b', '__proto__', 'Zoë "1"\\', 'two\nlines', '🩺', '']
      await store.write(
        forever,
        keys.map((k, i) => row(k, T0, { chol: i, note: 'x' })),
      )
      const asked = [...keys, '07']
      const expected = [0, 1, 2, 3, 4, 5, 6, 7, 'not_found']
      const show = (e: OnlineEntityResult) => (e.status === 'present' ? e.values.chol : e.status)
      // A small and a large read (stores may fetch those differently), duplicates allowed.
      const [small, large] = await store.read(
        [
          { view: forever, entityKeys: asked },
          { view: forever, entityKeys: [...asked, ...asked, ...asked, ...asked] },
        ],
        T0,
      )
      expect(small?.entities.map(show)).toEqual(expected)
      expect(large?.entities.map(show)).toEqual([
        ...expected,
        ...expected,
        ...expected,
        ...expected,
      ])
    })

    it('round-trips nulls, booleans, categoricals, ints, floats and strings with their types', async () => {
      const values: Record<string, FeatureValue> = {
        heart_rate: 0,
        temp: -1.5e-7,
        smoker: false,
        sex: 'M',
        note: 'true',
      }
      const text = { ...values, smoker: true, note: 'Zoë "quoted" \\ 🩺 \u0000 end' }
      await store.write(vitals, [row('p1', T0, values), row('t', T0, text)])
      const r = await readOne(vitals, 'p1', T0)
      expect(r.status === 'present' && r.values).toStrictEqual(values)
      const [large] = await store.read([{ view: vitals, entityKeys: Array(20).fill('t') }], T0)
      for (const e of large?.entities ?? [])
        expect(e.status === 'present' && e.values).toStrictEqual(text)
      // A newer row with nulls clears the old values instead of leaving them behind.
      const nulls = { heart_rate: null, temp: null, smoker: null, sex: null, note: '' }
      await store.write(vitals, [row('p1', at(1), nulls)])
      const r2 = await readOne(vitals, 'p1', at(1))
      expect(r2.status === 'present' && r2.values).toStrictEqual(nulls)
      await store.write(vitals, [row('p2', T0, { smoker: true, note: '0' })])
      expect(await readOne(vitals, 'p2', T0, ['smoker', 'note', 'heart_rate'])).toMatchObject({
        values: { smoker: true, note: '0', heart_rate: null },
      })
    })

    it('reads a field a row left out as null, also one named like an Object member', async () => {
      const odd: OnlineView = {
        name: 'odd_names',
        ttl: 0,
        fields: [
          { name: 'constructor', type: 'string' },
          { name: 'toString', type: 'int' },
          { name: 'n', type: 'int' },
        ],
      }
      await store.write(odd, [row('p1', T0, { n: 3 })])
      expect(await readOne(odd, 'p1', at(1))).toEqual({
        status: 'present',
        entityKey: 'p1',
        eventTs: T0,
        values: { constructor: null, toString: null, n: 3 },
      })
    })

    it('answers only the requested fields and rejects unknown ones', async () => {
      await store.write(vitals, [vitalsRow('p1', T0, 60)])
      const r = await readOne(vitals, 'p1', T0, ['temp'])
      expect(r.status === 'present' && r.values).toStrictEqual({ temp: 36.6 })
      await expect(readOne(vitals, 'p1', T0, ['pulse'])).rejects.toSatisfy(
        (e) => isAppError(e) && e.code === 'VALIDATION' && e.message.includes('pulse'),
      )
    })

    it('rejects a value of the wrong type and writes nothing of that batch', async () => {
      const bad = [vitalsRow('p1', T0, 60), row('p2', T0, { heart_rate: 1.5 })]
      await expect(store.write(vitals, bad)).rejects.toSatisfy(
        (e) => isAppError(e) && e.code === 'VALIDATION' && e.message.includes('heart_rate'),
      )
      expect((await readOne(vitals, 'p1', T0)).status).toBe('not_found')
    })

    it('refuses an entity key that is not well-formed Unicode, writing nothing of that batch', async () => {
      const isBadKey = (e: unknown) =>
        isAppError(e) && e.code === 'VALIDATION' && e.message.includes('lone surrogate')
      const lone = 'a\ud800'
      await expect(
        store.write(vitals, [vitalsRow('p1', T0, 60), vitalsRow(lone, T0, 61)]),
      ).rejects.toSatisfy(isBadKey)
      expect((await readOne(vitals, 'p1', T0)).status).toBe('not_found')
      await expect(readOne(vitals, lone, T0)).rejects.toSatisfy(isBadKey)
      // A pair is one well-formed character: a key like any other.
      await store.write(vitals, [vitalsRow('a\ud83e\ude7a', T0, 62)])
      expect((await readOne(vitals, 'a🩺', T0)).status).toBe('present')
    })

    it('stores a bulk write of 25,000 rows', async () => {
      const n = 25_000
      const rows = Array.from({ length: n }, (_, i) => vitalsRow(`e${i}`, at(-(i % 50)), i))
      expect(await store.write(vitals, rows)).toEqual({ written: n, skippedOlder: 0 })
      const probe = [0, 1, 199, 200, 4_999, 5_000, 12_345, n - 1].map((i) => `e${i}`)
      const [r] = await store.read([{ view: vitals, entityKeys: probe }], T0)
      expect(r?.entities.map((e) => (e.status === 'present' ? e.values.heart_rate : -1))).toEqual(
        probe.map((k) => Number(k.slice(1))),
      )
    })
  })
}
