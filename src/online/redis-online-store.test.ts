import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isAppError } from '../core/errors.js'
import { runOnlineStoreContract } from './online-store.contract.js'
import type { OnlineView } from './online-store.js'
import { deleteRedisKeys, type RedisLike, type RedisPipelineLike } from './redis-connect.js'
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
    expect(performance.now() - started).toBeLessThan(5000)
  })
})

describe.skipIf(!url)('redis online store', () => {
  // Small chunks so the contract's bulk test crosses many script calls and pipelines.
  runOnlineStoreContract('redis', {
    open: () => {
      opened += 1
      return RedisOnlineStore.connect(url, {
        project: project(),
        rowsPerCall: 64,
        callsPerPipeline: 8,
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

  it('keeps a readable layout: ward:{project}:{view}:{key} hash, text values, ISO _ts', async () => {
    const p = `wardtest_${runId}_layout`
    const store = await RedisOnlineStore.connect(url, { project: p })
    await store.write(view, [
      { entityKey: '007', eventTs: ts, createdTs: null, values: { hr: 72, smoker: null } },
    ])
    await store.close()
    expect(await admin.hgetall(`ward:${p}:vitals:007`)).toEqual({ _ts: ts.toISOString(), hr: '72' })
  })

  it('reads many entities × views in a single pipeline (one round trip)', async () => {
    const client = new Redis(url)
    let execs = 0
    const counting: RedisLike = {
      pipeline: (): RedisPipelineLike => {
        const p = client.pipeline()
        return {
          hmget: (key, ...fields) => p.hmget(key, ...fields),
          evalsha: (sha, n, ...args) => p.evalsha(sha, n, ...args),
          exec: () => {
            execs += 1
            return p.exec()
          },
        }
      },
      script: (sub, script) => client.script(sub, script),
      ping: () => client.ping(),
      quit: () => client.quit(),
    }
    const store = new RedisOnlineStore(counting, 'Redis (test)', {
      project: `wardtest_${runId}_rt`,
    })
    const keys = Array.from({ length: 100 }, (_, i) => `k${i}`)
    await store.write(
      view,
      keys.map((k) => ({ entityKey: k, eventTs: ts, createdTs: null, values: { hr: 1 } })),
    )
    execs = 0
    const views = ['a', 'b', 'c'].map((name) => ({ ...view, name }))
    const result = await store.read(
      views.map((v) => ({ view: v, entityKeys: keys })),
      ts,
    )
    expect(execs).toBe(1)
    expect(result.flatMap((r) => r.entities)).toHaveLength(300)
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

  it('reports a key of another type as a rejected command, not an outage', async () => {
    const p = `wardtest_${runId}_wrongtype`
    await admin.set(`ward:${p}:vitals:a`, 'plain string')
    const store = await RedisOnlineStore.connect(url, { project: p })
    await expect(store.read([{ view, entityKeys: ['a'] }], ts)).rejects.toSatisfy(
      (e) => isAppError(e) && e.code === 'INTERNAL' && e.message.includes('WRONGTYPE'),
    )
    await store.close()
  })
})
