import { randomBytes } from 'node:crypto'
import { decode } from '@msgpack/msgpack'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isAppError } from '../core/errors.js'
import { runOnlineStoreContract } from './online-store.contract.js'
import type { OnlineView } from './online-store.js'
import { deleteRedisKeys, type RedisLike } from './redis-connect.js'
import { RedisOnlineStore } from './redis-online-store.js'

const url = process.env.REDIS_URL ?? ''
const runId = randomBytes(4).toString('hex')
let opened = 0
const project = (): string => `wardtest_${runId}_${opened}`

describe('redis online store, without a server', () => {
  it('fails fast with UNAVAILABLE naming the URL without its password', async () => {
    const started = performance.now()
    const dead = 'redis://ward:s3cret@127.0.0.1:1/0'
    const error = await RedisOnlineStore.connect(dead, { project: 'x' }).catch((e: unknown) => e)
    expect(isAppError(error) && error.code).toBe('UNAVAILABLE')
    const message = (error as Error).message
    expect(message).toContain('Redis at redis://ward:***@127.0.0.1:1/0')
    expect(message).not.toContain('s3cret')
    // The socket's reason, not ioredis's closing "Connection is closed".
    expect(message).toMatch(
      /is not answering: connect ECONNREFUSED 127\.0\.0\.1:1 \(start it, or set REDIS_URL/,
    )
    expect(performance.now() - started).toBeLessThan(5000)
  })
})

describe('redis online store, with a scripted client', () => {
  const view: OnlineView = { name: 'v', ttl: 0, fields: [{ name: 'x', type: 'int' }] }
  const rows = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      entityKey: `e${i}`,
      eventTs: new Date(0),
      createdTs: null,
      values: { x: i },
    }))
  const replyError = (message: string) => Object.assign(new Error(message), { name: 'ReplyError' })
  /** The rows a write call carries: its one argument packs [keys, rows]. */
  const rowsIn = (batch: unknown): number => (decode(batch as Buffer) as string[][])[1]?.length ?? 0
  const tick = () => new Promise((r) => setTimeout(r, 5))
  const client = (evalsha: RedisLike['evalsha'], script: RedisLike['script']): RedisLike => ({
    evalsha,
    script,
    ping: async () => 'PONG',
    quit: async () => 'OK',
  })

  it('fails a write only once none of its script calls is still running', async () => {
    let started = 0
    let finished = 0
    const fake = client(
      async (_sha, _numKeys, batch) => {
        started += 1
        if (started === 1) throw replyError('ERR ward: k holds a value that is not a Ward row')
        await tick()
        finished += 1
        return rowsIn(batch)
      },
      async () => 'sha',
    )
    const store = new RedisOnlineStore(fake, 'Redis (test)', { project: 't', rowsPerCall: 10 })
    const error = await store.write(view, rows(100)).catch((e: unknown) => e)
    expect(isAppError(error) && error.code).toBe('INTERNAL')
    expect(started).toBe(10)
    expect(finished).toBe(9)
  })

  it('loads its script once for all calls in flight, and once again after Redis forgot it', async () => {
    let loads = 0
    let known = false
    const fake = client(
      async (_sha, _numKeys, batch) => {
        await tick()
        if (!known) throw replyError('NOSCRIPT No matching script. Please use EVAL.')
        return rowsIn(batch)
      },
      async () => {
        loads += 1
        await tick()
        known = true
        return 'sha'
      },
    )
    const store = new RedisOnlineStore(fake, 'Redis (test)', { project: 't', rowsPerCall: 10 })
    expect(await store.write(view, rows(200))).toEqual({ written: 200, skippedOlder: 0 })
    expect(loads).toBe(1)
    known = false // SCRIPT FLUSH
    expect(await store.write(view, rows(200))).toEqual({ written: 200, skippedOlder: 0 })
    expect(loads).toBe(2)
  })

  it('does not keep a failed script load: the next call loads again', async () => {
    let loads = 0
    const fake = client(
      async (_sha, _numKeys, batch) => rowsIn(batch),
      async () => {
        loads += 1
        if (loads === 1) throw new Error('connection reset')
        return 'sha'
      },
    )
    const store = new RedisOnlineStore(fake, 'Redis (test)', { project: 't' })
    const error = await store.write(view, rows(3)).catch((e: unknown) => e)
    expect(isAppError(error) && error.code).toBe('UNAVAILABLE')
    expect(await store.write(view, rows(3))).toEqual({ written: 3, skippedOlder: 0 })
    expect(loads).toBe(2)
  })
})

describe.skipIf(!url)('redis online store', () => {
  // Small chunks so the contract's bulk test crosses many script calls, a few in flight at a time.
  runOnlineStoreContract('redis', {
    open: () => {
      opened += 1
      return RedisOnlineStore.connect(url, {
        project: project(),
        rowsPerCall: 64,
        callsInFlight: 3,
      })
    },
    cleanup: async () => {
      await deleteRedisKeys(admin, `ward:${project()}:*`)
    },
  })

  let admin: Redis
  beforeAll(() => {
    admin = new Redis(url)
  })
  afterAll(async () => {
    await deleteRedisKeys(admin, `ward:wardtest_${runId}_*`)
    await admin.quit()
  })

  const view: OnlineView = {
    name: 'vitals',
    ttl: 0,
    fields: [
      { name: 'hr', type: 'int' },
      { name: 'smoker', type: 'bool' },
    ],
  }
  const ts = new Date('2024-03-01T12:00:00.000Z')

  it('keeps a readable layout: ward:{project}:{view}:{key} string, the row as JSON, _ts first', async () => {
    const p = `wardtest_${runId}_layout`
    const store = await RedisOnlineStore.connect(url, { project: p })
    await store.write(view, [
      { entityKey: '007', eventTs: ts, createdTs: null, values: { hr: 72, smoker: null } },
      { entityKey: 'a:b', eventTs: ts, createdTs: null, values: { hr: null, smoker: true } },
      { entityKey: 'Zoë\n🩺', eventTs: ts, createdTs: null, values: { hr: 60, smoker: null } },
    ])
    await store.close()
    expect(await admin.get(`ward:${p}:vitals:Zoë\n🩺`)).toBe(
      `{"_ts":"${ts.toISOString()}","hr":60}`,
    )
    expect(await admin.get(`ward:${p}:vitals:007`)).toBe(`{"_ts":"${ts.toISOString()}","hr":72}`)
    expect(await admin.get(`ward:${p}:vitals:a:b`)).toBe(
      `{"_ts":"${ts.toISOString()}","smoker":true}`,
    )
  })

  it('reads many entities × views with a single command (one round trip)', async () => {
    const client = new Redis(url)
    const sent: string[] = []
    const counting: RedisLike = {
      evalsha: (sha, n, ...args) => {
        sent.push(`evalsha ${n}`)
        return client.evalsha(sha, n, ...args)
      },
      script: (sub, script) => client.script(sub, script),
      ping: () => client.ping(),
      quit: () => client.quit(),
    }
    const store = new RedisOnlineStore(counting, 'Redis (test)', {
      project: `wardtest_${runId}_rt`,
    })
    const keys = Array.from({ length: 100 }, (_, i) => `k${i}`)
    const views = ['a', 'b', 'c'].map((name) => ({ ...view, name }))
    for (const v of views) {
      await store.write(
        v,
        keys.map((k) => ({ entityKey: k, eventTs: ts, createdTs: null, values: { hr: 1 } })),
      )
    }
    sent.length = 0
    const result = await store.read(
      views.map((v) => ({ view: v, entityKeys: keys })),
      ts,
    )
    expect(sent).toEqual(['evalsha 300'])
    expect(result.flatMap((r) => r.entities.map((e) => e.status))).toEqual(
      Array(300).fill('present'),
    )
    await store.close()
  })

  it('keeps the later event time when two writers race on the same keys', async () => {
    const p = `wardtest_${runId}_race`
    const [a, b] = await Promise.all([
      RedisOnlineStore.connect(url, { project: p, rowsPerCall: 16, callsInFlight: 2 }),
      RedisOnlineStore.connect(url, { project: p, rowsPerCall: 16, callsInFlight: 2 }),
    ])
    const keys = Array.from({ length: 2000 }, (_, i) => `e${i}`)
    // Even keys: writer a has the later row; odd keys: writer b. Both write every key at once.
    const rows = (writer: number) =>
      keys.map((entityKey, i) => {
        const later = i % 2 === writer
        return {
          entityKey,
          eventTs: new Date(ts.getTime() + (later ? 1000 : 0)),
          createdTs: null,
          values: { hr: later ? 2 : 1 },
        }
      })
    const [ra, rb] = await Promise.all([a.write(view, rows(0)), b.write(view, rows(1))])
    // Each writer's later half always lands; its earlier half lands only where it came first.
    expect(ra.written).toBeGreaterThanOrEqual(1000)
    expect(rb.written).toBeGreaterThanOrEqual(1000)
    const [r] = await a.read([{ view, entityKeys: keys }], ts)
    expect(r?.entities.every((e) => e.status === 'present' && e.values.hr === 2)).toBe(true)
    await Promise.all([a.close(), b.close()])
  })

  it('migrates hashes of the previous layout on write, keeping the later event time', async () => {
    const p = `wardtest_${runId}_migrate`
    const later = new Date(ts.getTime() + 60_000)
    await admin.hset(`ward:${p}:vitals:old`, '_ts', ts.toISOString(), 'hr', '70')
    await admin.hset(
      `ward:${p}:vitals:new`,
      '_ts',
      later.toISOString(),
      'hr',
      '90',
      'smoker',
      'true',
    )
    const store = await RedisOnlineStore.connect(url, { project: p })
    // Before a write, an unmigrated hash is an error that says what to do, not `not_found`.
    await expect(store.read([{ view, entityKeys: ['old'] }], ts)).rejects.toSatisfy(
      (e) => isAppError(e) && e.code === 'INTERNAL' && e.message.includes('ward materialize'),
    )
    const row = (entityKey: string) => ({
      entityKey,
      eventTs: ts,
      createdTs: null,
      values: { hr: 80 },
    })
    expect(await store.write(view, [row('old'), row('new')])).toEqual({
      written: 1,
      skippedOlder: 1,
    })
    const [r] = await store.read([{ view, entityKeys: ['old', 'new'] }], later)
    expect(r?.entities).toEqual([
      { status: 'present', entityKey: 'old', eventTs: ts, values: { hr: 80, smoker: null } },
      // The later hash stays, rewritten as a row whose texts decode by the field types.
      { status: 'present', entityKey: 'new', eventTs: later, values: { hr: 90, smoker: true } },
    ])
    expect(await admin.type(`ward:${p}:vitals:new`)).toBe('string')
    await store.close()
  })

  it('migrates a full call of 2,000 hashes that the new rows all replace (MSET within unpack)', async () => {
    const p = `wardtest_${runId}_migrate_full`
    const keys = Array.from({ length: 2000 }, (_, i) => `k${i}`)
    const pipeline = admin.pipeline()
    for (const [i, k] of keys.entries()) {
      pipeline.hset(`ward:${p}:vitals:${k}`, '_ts', ts.toISOString(), 'hr', String(i))
    }
    await pipeline.exec()
    const store = await RedisOnlineStore.connect(url, { project: p, rowsPerCall: 2000 })
    const rows = keys.map((entityKey, i) => ({
      entityKey,
      eventTs: ts,
      createdTs: null,
      values: { hr: 5000 + i },
    }))
    expect(await store.write(view, rows)).toEqual({ written: 2000, skippedOlder: 0 })
    const [r] = await store.read([{ view, entityKeys: ['k0', 'k1999'] }], ts)
    expect(r?.entities.map((e) => e.status === 'present' && e.values.hr)).toEqual([5000, 6999])
    const types = await Promise.all(keys.map((k) => admin.type(`ward:${p}:vitals:${k}`)))
    expect(new Set(types)).toEqual(new Set(['string']))
    await store.close()
  })

  it('reloads its script after Redis forgot it (SCRIPT FLUSH, restart)', async () => {
    const store = await RedisOnlineStore.connect(url, { project: `wardtest_${runId}_noscript` })
    const write = (hr: number, s: number) =>
      store.write(view, [
        { entityKey: 'a', eventTs: new Date(ts.getTime() + s), createdTs: null, values: { hr } },
      ])
    await write(1, 0)
    await admin.script('FLUSH')
    expect(await write(2, 1000)).toEqual({ written: 1, skippedOlder: 0 })
    const [r] = await store.read([{ view, entityKeys: ['a'] }], ts)
    expect(r?.entities[0]).toMatchObject({ values: { hr: 2 } })
    await store.close()
  })

  it('reports a key it did not write as a rejected command or a conflict, never as data', async () => {
    const p = `wardtest_${runId}_foreign`
    await admin.sadd(`ward:${p}:vitals:set`, 'x')
    await admin.set(`ward:${p}:vitals:text`, 'plain string')
    const store = await RedisOnlineStore.connect(url, { project: p })
    await expect(store.read([{ view, entityKeys: ['set'] }], ts)).rejects.toSatisfy(
      (e) => isAppError(e) && e.code === 'INTERNAL' && e.message.includes('WRONGTYPE'),
    )
    await expect(store.read([{ view, entityKeys: ['text'] }], ts)).rejects.toSatisfy(
      (e) => isAppError(e) && e.code === 'CONFLICT' && e.message.includes('not a Ward row'),
    )
    const row = { entityKey: 'text', eventTs: ts, createdTs: null, values: { hr: 1 } }
    await expect(store.write(view, [row])).rejects.toSatisfy(
      (e) => isAppError(e) && e.code === 'INTERNAL' && e.message.includes('not a Ward row'),
    )
    expect(await admin.get(`ward:${p}:vitals:text`)).toBe('plain string')
    await store.close()
  })
})
