import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { AppError, isAppError } from '../core/errors.js'
import type { StoredView } from '../features/schema.js'
import type { FeatureRow } from '../offline/offline-store.js'
import { type MaterializeProgress, materialize, materializeIncremental } from './materialize.js'
import { MemoryOnlineStore } from './memory-online-store.js'
import type { OnlineStore } from './online-store.js'
import { FakeOfflineStore, failingOnlineStore } from './test-support.js'
import { MemoryWatermarkStore } from './watermark-store.js'

const view = (name: string): StoredView => ({
  kind: 'feature',
  name,
  entity: 'patient',
  source: 'src',
  ttl: 0,
  fields: [{ name: 'v', type: 'int', nullable: true, missing_values: [] }],
})
const vitals = view('vitals')
const labs = view('labs')
const day = (d: number): Date => new Date(Date.UTC(2024, 0, d))
const row = (key: string, d: number, v: number, created?: number): FeatureRow => ({
  entityKey: key,
  eventTs: day(d),
  createdTs: created === undefined ? null : new Date(created),
  values: { v },
})

/** Offline history: 250 patients with rows on days 1..5, v = 10·day + patient. */
const history = (batchSize = 40): FakeOfflineStore => {
  const offline = new FakeOfflineStore(batchSize)
  for (const name of ['vitals', 'labs']) {
    const rows: FeatureRow[] = []
    for (let d = 1; d <= 5; d++)
      for (let p = 0; p < 250; p++) rows.push(row(`p${p}`, d, 10 * d + p))
    offline.add(name, rows)
  }
  return offline
}

/** Every online value of a view for patients 0..249, as `key=v@day` (or the status). */
const dump = async (online: OnlineStore, v: StoredView): Promise<string[]> => {
  const keys = Array.from({ length: 250 }, (_, p) => `p${p}`)
  const [r] = await online.read([{ view: v, entityKeys: keys }], day(30))
  return (r?.entities ?? []).map((e) =>
    e.status === 'present' ? `${e.entityKey}=${e.values.v}@${e.eventTs.toISOString()}` : e.status,
  )
}

describe('materialize', () => {
  it('puts the latest row per entity in (start, end] online, reports counts and progress', async () => {
    const offline = history()
    const online = await MemoryOnlineStore.open()
    const watermarks = new MemoryWatermarkStore()
    const progress: MaterializeProgress[] = []
    const report = await materialize({
      offline,
      online,
      views: [vitals, labs],
      watermarks,
      start: undefined,
      end: day(3),
      onProgress: (p) => progress.push(p),
    })
    expect(report.views.map((v) => [v.view, v.rows, v.watermark])).toEqual([
      ['vitals', 250, day(3)],
      ['labs', 250, day(3)],
    ])
    expect(report.rows).toBe(500)
    expect(report.rowsPerSecond).toBeGreaterThan(0)
    // 250 rows in batches of 40: 7 batches per view, counts rising to the totals.
    expect(progress).toHaveLength(14)
    expect(progress.at(6)).toEqual({
      view: 'vitals',
      viewIndex: 0,
      viewCount: 2,
      viewRows: 250,
      totalRows: 250,
    })
    expect(progress.at(-1)).toMatchObject({
      view: 'labs',
      viewIndex: 1,
      viewRows: 250,
      totalRows: 500,
    })
    const expected = offline
      .latest('vitals', undefined, day(3))
      .map((r) => `${r.entityKey}=${r.values.v}@${r.eventTs.toISOString()}`)
    expect(await dump(online, vitals)).toEqual(expected)
    expect(expected[7]).toBe(`p7=37@${day(3).toISOString()}`)
  })

  it('leaves no watermark for a view whose write failed midway, and a re-run completes it', async () => {
    const offline = history()
    const memory = await MemoryOnlineStore.open()
    const watermarks = new MemoryWatermarkStore()
    const args = { offline, views: [vitals, labs], watermarks, start: undefined, end: day(4) }
    // Write 10 is labs' third batch: vitals (7 batches) completed, labs half-written.
    await expect(materialize({ ...args, online: failingOnlineStore(memory, 10) })).rejects.toThrow(
      'injected failure on write 10',
    )
    expect(await watermarks.get('vitals')).toEqual(day(4))
    expect(await watermarks.get('labs')).toBeUndefined()
    expect((await dump(memory, labs)).filter((s) => s === 'not_found').length).toBeGreaterThan(0)

    await materialize({ ...args, online: memory })
    const clean = await MemoryOnlineStore.open()
    await materialize({ ...args, online: clean, watermarks: new MemoryWatermarkStore() })
    expect(await dump(memory, labs)).toEqual(await dump(clean, labs))
    expect(await watermarks.get('labs')).toEqual(day(4))
  })

  it('has the snapshot written before a watermark moves: another process sees the rows', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ward-mat-'))
    try {
      const file = path.join(dir, 'online.json')
      const online = await MemoryOnlineStore.open({ path: file })
      const watermarks = new MemoryWatermarkStore()
      const args = { offline: history(), views: [vitals], watermarks, start: undefined }
      let flushes = 0
      const counting: OnlineStore = {
        ...failingOnlineStore(online, 0),
        flush: () => {
          flushes += 1
          return online.flush()
        },
      }
      // One flush for the run, not one per view: each rewrites the whole snapshot file.
      await materialize({ ...args, views: [vitals, labs], online: counting, end: day(4) })
      expect(flushes).toBe(1)
      // Still open: a second store on the same file stands for `ward get-online` beside `serve`.
      expect(await dump(await MemoryOnlineStore.open({ path: file }), vitals)).toEqual(
        await dump(online, vitals),
      )
      // A snapshot that cannot be written leaves the watermark where it was.
      const unwritable: OnlineStore = {
        ...failingOnlineStore(online, 0),
        flush: async () => {
          throw new Error('disk full')
        },
      }
      await expect(materialize({ ...args, online: unwritable, end: day(5) })).rejects.toThrow(
        'disk full',
      )
      expect(await watermarks.get('vitals')).toEqual(day(4))
      // labs' write fails after vitals finished, then the flush fails too: the write's error is
      // the one reported, with its code.
      const down: OnlineStore = {
        ...unwritable,
        write: async (v, rows) => {
          if (v.name === 'labs')
            throw new AppError('UNAVAILABLE', 'Redis at redis://x is not answering')
          return online.write(v, rows)
        },
      }
      await expect(
        materialize({ ...args, views: [vitals, labs], online: down, end: day(5) }),
      ).rejects.toSatisfy(
        (e) =>
          isAppError(e) &&
          e.code === 'UNAVAILABLE' &&
          e.message ===
            'Redis at redis://x is not answering; saving what was written failed too: disk full',
      )
      await online.close()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('leaves no watermark when the offline read fails midway', async () => {
    const online = await MemoryOnlineStore.open()
    const watermarks = new MemoryWatermarkStore()
    const offline = {
      async *latestRows(): AsyncIterable<FeatureRow[]> {
        yield [row('p1', 1, 1)]
        throw new Error('offline connection lost')
      },
    }
    await expect(
      materialize({ offline, online, views: [vitals], watermarks, start: undefined, end: day(2) }),
    ).rejects.toThrow('offline connection lost')
    expect(await watermarks.get('vitals')).toBeUndefined()
  })

  it('moves a watermark only over ranges that join it, and never backwards', async () => {
    const online = await MemoryOnlineStore.open()
    const watermarks = new MemoryWatermarkStore()
    const base = { offline: history(), online, views: [vitals], watermarks }
    const mark = async (start: Date | undefined, end: Date) =>
      (await materialize({ ...base, start, end })).views[0]?.watermark
    expect(await mark(day(2), day(3))).toBeUndefined() // gap before day 2
    expect(await mark(undefined, day(2))).toEqual(day(2))
    expect(await mark(day(3), day(4))).toEqual(day(2)) // gap (day 2, day 3]
    expect(await mark(day(2), day(4))).toEqual(day(4))
    expect(await mark(undefined, day(1))).toEqual(day(4)) // backfill keeps the mark
    // ...and the backfill did not overwrite newer rows.
    expect((await dump(online, vitals))[5]).toBe(`p5=45@${day(4).toISOString()}`)
  })

  it('copies up to a future end but moves the watermark only to now', async () => {
    const online = await MemoryOnlineStore.open()
    const watermarks = new MemoryWatermarkStore()
    const offline = history()
    const base = { offline, online, views: [vitals], watermarks }
    const report = await materialize({ ...base, start: undefined, end: day(30), now: day(3) })
    expect(report.views[0]?.watermark).toEqual(day(3))
    expect((await dump(online, vitals))[5]).toBe(`p5=55@${day(5).toISOString()}`)
    // A row stamped day 4 is ingested later: the next incremental run still copies it (had the
    // watermark gone to day 30, that run would have had nothing to do).
    offline.add('vitals', [row('late', 4, 7)])
    await materializeIncremental({ ...base, now: day(4) })
    const [r] = await online.read([{ view: vitals, entityKeys: ['late'] }], day(30))
    expect(r?.entities[0]).toMatchObject({ status: 'present', values: { v: 7 } })
    expect(await watermarks.get('vitals')).toEqual(day(4))
  })

  it('rejects start ≥ end', async () => {
    const online = await MemoryOnlineStore.open()
    const args = {
      offline: history(),
      online,
      views: [vitals],
      watermarks: new MemoryWatermarkStore(),
    }
    await expect(materialize({ ...args, start: day(3), end: day(3) })).rejects.toSatisfy(
      (e) => isAppError(e) && e.code === 'VALIDATION',
    )
  })
})

describe('materializeIncremental', () => {
  it('copies from each view’s watermark to now, and nothing when already there', async () => {
    const offline = history()
    const online = await MemoryOnlineStore.open()
    const watermarks = new MemoryWatermarkStore()
    const base = { offline, online, watermarks }
    await materialize({ ...base, views: [vitals], start: undefined, end: day(2) })

    const first = await materializeIncremental({ ...base, views: [vitals, labs], now: day(4) })
    expect(first.views.map((v) => [v.view, v.start, v.rows, v.watermark])).toEqual([
      ['vitals', day(2), offline.latest('vitals', day(2), day(4)).length, day(4)],
      ['labs', undefined, 250, day(4)],
    ])
    expect((await dump(online, labs))[3]).toBe(`p3=43@${day(4).toISOString()}`)

    offline.add('vitals', [row('p3', 5, -1, 2), row('late', 3, 7)])
    const second = await materializeIncremental({ ...base, views: [vitals], now: day(5) })
    // Day 5: 250 rows plus p3's correction, one row per entity; `late` (day 3) is behind the mark.
    expect(second.views[0]?.rows).toBe(250)
    expect((await dump(online, vitals))[3]).toBe(`p3=-1@${day(5).toISOString()}`)

    const third = await materializeIncremental({ ...base, views: [vitals], now: day(5) })
    expect(third.views[0]).toMatchObject({ rows: 0, watermark: day(5) })
  })

  it('copies up to a future `now` but moves the watermark no further than the real time', async () => {
    const offline = history()
    const online = await MemoryOnlineStore.open()
    const watermarks = new MemoryWatermarkStore()
    const before = Date.now()
    const inAYear = new Date(before + 365 * 86_400_000)
    const report = await materializeIncremental({
      offline,
      online,
      watermarks,
      views: [vitals],
      now: inAYear,
    })
    expect(report.views[0]?.end).toEqual(inAYear)
    const mark = (await watermarks.get('vitals'))?.getTime() ?? 0
    expect(mark).toBeGreaterThanOrEqual(before)
    expect(mark).toBeLessThanOrEqual(Date.now())
  })
})
