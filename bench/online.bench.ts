import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { Redis } from 'ioredis'
import { featureViewSchema, type StoredView } from '../src/features/schema.js'
import type { FeatureRow } from '../src/offline/offline-store.js'
import { materialize } from '../src/online/materialize.js'
import { MemoryOnlineStore } from '../src/online/memory-online-store.js'
import type { OnlineStore } from '../src/online/online-store.js'
import { deleteRedisKeys } from '../src/online/redis-connect.js'
import { RedisOnlineStore } from '../src/online/redis-online-store.js'
import { FakeOfflineStore } from '../src/online/test-support.js'
import { MemoryWatermarkStore } from '../src/online/watermark-store.js'

/**
 * Online store: materialize throughput into Redis against `redis-benchmark` HSET on the same
 * machine, and in-process read latency (Redis and memory). Uses its own key prefix and deletes
 * it afterwards. REDIS_URL picks the server (default 127.0.0.1:6379).
 */
const ENTITIES = 200_000
const READ_ENTITIES = 10_000
const CEILING_ARGS = ['-P', '16', '-t', 'hset', '-n', '1000000', '-q']

const viewNamed = (name: string): StoredView => ({
  kind: 'feature',
  ...featureViewSchema.parse({
    name,
    entity: 'patient',
    source: 'bench',
    ttl: '365d',
    fields: [
      ...['age', 'hr', 'sbp', 'dbp'].map((n) => ({ name: n, type: 'int' })),
      ...['bmi', 'chol', 'glucose', 'hba1c'].map((n) => ({ name: n, type: 'float' })),
      { name: 'smoker', type: 'bool' },
      { name: 'sex', type: 'categorical', values: ['F', 'M'] },
    ],
  }),
})

/** Deterministic rows: ~1 in 20 values null, as in the clinical CSVs. */
const rowsFor = (count: number, eventTs: Date): FeatureRow[] => {
  let seed = 12345
  const next = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
    return seed / 2_147_483_648
  }
  return Array.from({ length: count }, (_, i) => {
    const v = <T>(x: T): T | null => (next() < 0.05 ? null : x)
    return {
      entityKey: String(i),
      eventTs,
      createdTs: null,
      values: {
        age: v(20 + Math.floor(next() * 70)),
        hr: v(50 + Math.floor(next() * 60)),
        sbp: v(90 + Math.floor(next() * 80)),
        dbp: v(50 + Math.floor(next() * 50)),
        bmi: v(Math.round((18 + next() * 20) * 10) / 10),
        chol: v(Math.round((3 + next() * 5) * 100) / 100),
        glucose: v(Math.round((4 + next() * 8) * 100) / 100),
        hba1c: v(Math.round((4.5 + next() * 5) * 10) / 10),
        smoker: v(next() < 0.2),
        sex: v(next() < 0.5 ? 'F' : 'M'),
      },
    }
  })
}

/** Runs redis-benchmark and returns its requests per second (last figure it prints). */
const redisBenchmark = async (url: URL, args: string[]): Promise<number> => {
  const all = ['-h', url.hostname, '-p', url.port || '6379', ...args]
  if (url.password) all.push('-a', decodeURIComponent(url.password))
  const { stdout } = await promisify(execFile)('redis-benchmark', all, { maxBuffer: 1 << 24 })
  const figures = [...stdout.matchAll(/([\d.]+) requests per second/g)]
  const last = figures.at(-1)?.[1]
  if (last === undefined)
    throw new Error(`redis-benchmark printed no figure: ${stdout.slice(-200)}`)
  return Number(last)
}

/** The same row shape as the bench view, written by redis-benchmark: the native HSET for it. */
const ROW_HSET_ARGS = [
  '-P',
  '16',
  '-n',
  '200000',
  '-r',
  '200000',
  '-q',
  'HSET',
  'wardbench_rows:__rand_int__',
  '_ts',
  '2024-03-01T00:00:00.000Z',
  'age',
  '61',
  'hr',
  '72',
  'sbp',
  '128',
  'dbp',
  '81',
  'bmi',
  '27.4',
  'chol',
  '5.21',
  'glucose',
  '6.02',
  'hba1c',
  '5.9',
  'smoker',
  'false',
  'sex',
  'F',
]

const materializeRate = async (online: OnlineStore, view: StoredView): Promise<number> => {
  const offline = new FakeOfflineStore(10_000)
  offline.add(view.name, rowsFor(ENTITIES, new Date('2024-03-01T00:00:00Z')))
  const report = await materialize({
    offline,
    online,
    views: [view],
    watermarks: new MemoryWatermarkStore(),
    start: undefined,
    end: new Date('2024-04-01T00:00:00Z'),
  })
  if (report.rows !== ENTITIES) throw new Error(`materialized ${report.rows} rows, not ${ENTITIES}`)
  return report.rowsPerSecond
}

const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN

/** p50/p99 in ms of `read` for `n` random entities × the views. */
const readLatency = async (
  online: OnlineStore,
  views: StoredView[],
  n: number,
  iterations: number,
): Promise<{ p50: number; p99: number }> => {
  let seed = 7
  const pick = (): string => {
    seed = (seed * 48_271) % 2_147_483_647
    return String(seed % READ_ENTITIES)
  }
  const now = new Date('2024-03-02T00:00:00Z')
  const times: number[] = []
  for (let i = 0; i < iterations + 200; i++) {
    const keys = Array.from({ length: n }, pick)
    const t = performance.now()
    const result = await online.read(
      views.map((view) => ({ view, entityKeys: keys })),
      now,
    )
    const elapsed = performance.now() - t
    if (result[0]?.entities[0]?.status !== 'present') throw new Error('bench read missed')
    if (i >= 200) times.push(elapsed) // the first 200 warm the JIT and the connection
  }
  times.sort((a, b) => a - b)
  return { p50: quantile(times, 0.5), p99: quantile(times, 0.99) }
}

const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })

export async function run(): Promise<string> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
  const project = `wardbench_${randomBytes(4).toString('hex')}`
  const redis = await RedisOnlineStore.connect(url, { project })
  const admin = new Redis(url)
  const memory = await MemoryOnlineStore.open()
  // redis-benchmark writes the key `myhash`; remove it afterwards unless it was there before.
  const hadMyhash = (await admin.exists('myhash')) === 1
  try {
    const hset = await redisBenchmark(new URL(url), CEILING_ARGS)
    const rowHset = await redisBenchmark(new URL(url), ROW_HSET_ARGS)
    await deleteRedisKeys(admin, 'wardbench_rows:*')
    const bulk = viewNamed('bulk')
    const freshRedis = await materializeRate(redis, bulk)
    const overwriteRedis = await materializeRate(redis, bulk)
    // A throw-away store, so its 200k rows do not sit in the heap during the latency runs.
    const memoryRate = await materializeRate(await MemoryOnlineStore.open(), bulk)

    const views = ['vitals', 'labs', 'history'].map(viewNamed)
    const readRows = rowsFor(READ_ENTITIES, new Date('2024-03-01T00:00:00Z'))
    for (const view of views) {
      await redis.write(view, readRows)
      await memory.write(view, readRows)
    }
    const latency = [
      ['Redis', '1 × 3', await readLatency(redis, views, 1, 5000)],
      ['Redis', '100 × 3', await readLatency(redis, views, 100, 1000)],
      ['memory', '1 × 3', await readLatency(memory, views, 1, 5000)],
      ['memory', '100 × 3', await readLatency(memory, views, 100, 1000)],
    ] as const

    const fields = 11 // 10 features + _ts per hash
    const pct = (x: number, of: number): string => `${fmt((100 * x) / of, 1)}%`
    const line = (name: string, rows: number): string =>
      `| ${name} | ${fmt(rows)} | ${fmt(rows * fields)} | ${pct(rows, hset)} | ${pct(rows, rowHset)} |`
    return [
      '## Online store',
      '',
      `\`npm run bench\` → \`bench/online.bench.ts\`. Ceilings on the same Redis (${url.replace(/\/\/[^@]*@/, '//')}), same run: \`redis-benchmark ${CEILING_ARGS.join(' ')}\` (1 field per HSET) and \`redis-benchmark -P 16 -n 200000 -r 200000 -q HSET wardbench_rows:__rand_int__ _ts … \` with the bench's 11-field row (unconditional, no event-time check).`,
      `Materialize: ${fmt(ENTITIES)} entities × 1 view of 10 fields (int, float, bool, categorical; ~5% null) through \`materialize()\` from an in-memory offline stand-in, batches of 10,000; each row is one hash (10 features + \`_ts\`) written only if not older than the stored one (Lua).`,
      '',
      '| Write path | rows/s | hash fields/s | rows/s ÷ 1-field HSET/s | rows/s ÷ 11-field HSET/s |',
      '|---|---:|---:|---:|---:|',
      `| redis-benchmark HSET, 1 field | — | ${fmt(hset)} | 100% | — |`,
      `| redis-benchmark HSET, 11-field row | ${fmt(rowHset)} | ${fmt(rowHset * fields)} | ${pct(rowHset, hset)} | 100% |`,
      line('materialize → Redis, new keys', freshRedis),
      line('materialize → Redis, overwrite (same event time)', overwriteRedis),
      `| materialize → memory store | ${fmt(memoryRate)} | — | — | — |`,
      '',
      `Online read, in-process, ${fmt(READ_ENTITIES)} entities per view, random keys, 10 features per view (Feast's Go server: 3.9 ms p99 for 250 features).`,
      '',
      '| Store | entities × views | p50 ms | p99 ms |',
      '|---|---|---:|---:|',
      ...latency.map(
        ([store, shape, l]) => `| ${store} | ${shape} | ${fmt(l.p50, 3)} | ${fmt(l.p99, 3)} |`,
      ),
      '',
    ].join('\n')
  } finally {
    await deleteRedisKeys(admin, `ward:${project}:*`)
    if (!hadMyhash) await admin.unlink('myhash')
    await redis.close()
    await admin.quit()
    await memory.close()
  }
}
