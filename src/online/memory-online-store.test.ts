import { existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { isAppError } from '../core/errors.js'
import { MemoryOnlineStore } from './memory-online-store.js'
import { runOnlineStoreContract } from './online-store.contract.js'
import type { OnlineView } from './online-store.js'

runOnlineStoreContract('memory', { open: () => MemoryOnlineStore.open() })

describe('memory online store snapshot', () => {
  const view: OnlineView = {
    name: 'labs',
    ttl: 0,
    fields: [
      { name: 'chol', type: 'float' },
      { name: 'smoker', type: 'bool' },
    ],
  }
  const ts = new Date('2024-01-02T03:04:05.678Z')
  let dir: string
  let path: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ward-online-'))
    path = join(dir, 'nested', 'online.json')
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('shares data between separate opens through the snapshot file, leaving no temp file', async () => {
    const first = await MemoryOnlineStore.open({ path })
    await first.write(view, [
      { entityKey: '007', eventTs: ts, createdTs: null, values: { chol: 5.5, smoker: true } },
      {
        entityKey: '__proto__',
        eventTs: ts,
        createdTs: null,
        values: { chol: null, smoker: false },
      },
    ])
    await first.close()
    expect(await readdir(join(dir, 'nested'))).toEqual(['online.json'])
    // The file is the Redis hash layout as JSON: readable text, `_ts` in ISO-8601.
    const raw = JSON.parse(await readFile(path, 'utf8'))
    expect(raw.views.labs['007']).toEqual({ _ts: ts.toISOString(), chol: '5.5', smoker: 'true' })

    const second = await MemoryOnlineStore.open({ path })
    const [r] = await second.read([{ view, entityKeys: ['007', '7', '__proto__'] }], ts)
    expect(r?.entities).toEqual([
      { status: 'present', entityKey: '007', eventTs: ts, values: { chol: 5.5, smoker: true } },
      { status: 'not_found', entityKey: '7' },
      {
        status: 'present',
        entityKey: '__proto__',
        eventTs: ts,
        values: { chol: null, smoker: false },
      },
    ])
    await second.close()
  })

  it('merges writers of one snapshot: neither erases the other, the later event time wins', async () => {
    const vitals: OnlineView = { name: 'vitals', ttl: 0, fields: [{ name: 'hr', type: 'int' }] }
    const later = new Date(ts.getTime() + 60_000)
    const row = (entityKey: string, eventTs: Date, values: Record<string, number | null>) => ({
      entityKey,
      eventTs,
      createdTs: null,
      values,
    })
    // Both open before either flushes, as two `ward materialize` processes would.
    const a = await MemoryOnlineStore.open({ path })
    const b = await MemoryOnlineStore.open({ path })
    await a.write(view, [row('1', later, { chol: 6, smoker: null })])
    await b.write(vitals, [row('1', ts, { hr: 70 })])
    await b.write(view, [
      row('1', ts, { chol: 5, smoker: null }),
      row('2', ts, { chol: 4, smoker: null }),
    ])
    await a.flush()
    await b.flush()
    // b now also sees what a wrote.
    const [fromB] = await b.read([{ view, entityKeys: ['1'] }], later)
    expect(fromB?.entities[0]).toMatchObject({ status: 'present', values: { chol: 6 } })
    await Promise.all([a.close(), b.close()])

    const c = await MemoryOnlineStore.open({ path })
    const results = await c.read(
      [
        { view, entityKeys: ['1', '2'] },
        { view: vitals, entityKeys: ['1'] },
      ],
      later,
    )
    expect(results.map((r) => r.entities.map((e) => e.status === 'present' && e.values))).toEqual([
      [
        { chol: 6, smoker: null },
        { chol: 4, smoker: null },
      ],
      [{ hr: 70 }],
    ])
    expect(await readdir(join(dir, 'nested'))).toEqual(['online.json'])
  })

  it('parses the file again on flush only when another process changed it', async () => {
    const row = (key: string, chol: number) => ({
      entityKey: key,
      eventTs: ts,
      createdTs: null,
      values: { chol, smoker: null },
    })
    const a = await MemoryOnlineStore.open({ path })
    await a.write(view, [row('a1', 1)])
    await a.flush()
    const parse = vi.spyOn(JSON, 'parse')
    // Other code parses JSON too (source maps, the lock library): count snapshot texts only.
    const snapshotsParsed = () =>
      parse.mock.calls.filter(([text]) => String(text).startsWith('{"format":"ward-online')).length
    try {
      // The file is the one `a` wrote: nothing to merge, nothing parsed.
      await a.write(view, [row('a2', 2)])
      await a.flush()
      expect(snapshotsParsed()).toBe(0)
      // Another writer changed it: `a` parses and merges, keeping both writers' rows.
      const b = await MemoryOnlineStore.open({ path })
      await b.write(view, [row('b1', 3)])
      await b.close()
      parse.mockClear()
      await a.write(view, [row('a3', 4)])
      await a.flush()
      expect(snapshotsParsed()).toBe(1)
    } finally {
      parse.mockRestore()
    }
    const [r] = await a.read([{ view, entityKeys: ['a1', 'a2', 'b1', 'a3'] }], ts)
    expect(r?.entities.map((e) => e.status === 'present' && e.values.chol)).toEqual([1, 2, 3, 4])
    await a.close()
    const fresh = await MemoryOnlineStore.open({ path })
    const [f] = await fresh.read([{ view, entityKeys: ['a1', 'a2', 'b1', 'a3'] }], ts)
    expect(f?.entities.map((e) => e.status === 'present' && e.values.chol)).toEqual([1, 2, 3, 4])
    await fresh.close()
  })

  it('keeps a row written while a flush is on its way, and saves it with the next', async () => {
    const store = await MemoryOnlineStore.open({ path })
    const row = (entityKey: string) => ({
      entityKey,
      eventTs: ts,
      createdTs: null,
      values: { chol: 1, smoker: null },
    })
    await store.write(view, [row('first')])
    let flushed = false
    const flushing = store.flush().then(() => {
      flushed = true
    })
    // Wait until the flush is writing the file (its temp file exists), then write.
    const tmp = `${path}.${process.pid}.tmp`
    while (!flushed && !existsSync(tmp)) await new Promise((r) => setImmediate(r))
    expect(flushed).toBe(false)
    await store.write(view, [row('late')])
    await flushing
    const [now] = await store.read([{ view, entityKeys: ['first', 'late'] }], ts)
    expect(now?.entities.map((e) => e.status)).toEqual(['present', 'present'])
    await store.close()
    const reopened = await MemoryOnlineStore.open({ path })
    const [saved] = await reopened.read([{ view, entityKeys: ['first', 'late'] }], ts)
    expect(saved?.entities.map((e) => e.status)).toEqual(['present', 'present'])
  })

  it('does not create a file when nothing was written', async () => {
    const store = await MemoryOnlineStore.open({ path })
    await store.flush()
    await store.close()
    await expect(readFile(path)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('refuses a damaged snapshot at open, naming the file', async () => {
    await MemoryOnlineStore.open({ path }).then(async (s) => {
      await s.write(view, [{ entityKey: 'a', eventTs: ts, createdTs: null, values: { chol: 1 } }])
      await s.close()
    })
    const good = JSON.parse(await readFile(path, 'utf8'))
    for (const damaged of [
      '{"format": "ward-online-snapshot/1", "views": ',
      JSON.stringify({ ...good, format: 'other' }),
      JSON.stringify({ ...good, views: { labs: { a: { _ts: 'yesterday', chol: '1' } } } }),
      JSON.stringify({ ...good, views: { labs: { a: { _ts: ts.toISOString(), chol: 1 } } } }),
    ]) {
      await writeFile(path, damaged)
      await expect(MemoryOnlineStore.open({ path })).rejects.toSatisfy(
        (e) => isAppError(e) && e.code === 'VALIDATION' && e.message.includes(path),
      )
    }
  })
})
