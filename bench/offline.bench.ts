import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { sql } from 'kysely'
import pg from 'pg'
import { connectDb, type Db } from '../src/db/connect.js'
import { migrateToLatest } from '../src/db/migrate.js'
import { loadFeatureRepo } from '../src/features/load.js'
import { featureViewSchema, type StoredView } from '../src/features/schema.js'
import { ingestCsv } from '../src/offline/ingest.js'
import type { EntityRow } from '../src/offline/offline-store.js'
import { createPostgresOfflineStore } from '../src/offline/postgres-offline-store.js'
import { KEY_COLUMNS, viewTable } from '../src/offline/view-tables.js'
import { median } from './median.js'
import { postgresCpuSeconds } from './postgres-cpu.js'

/**
 * Offline store: CSV ingest of diabetic_data.csv (validation included) into Postgres and PGlite
 * against psql's raw `\copy` of the same file into untyped text columns; and a point-in-time join
 * of 100,000 entity rows × 3 views over 1,000,000 feature rows against the same hand-written
 * LATERAL query run directly by psql. Uses a throw-away database on DATABASE_URL (default
 * postgres://root@127.0.0.1:5432/postgres), dropped afterwards.
 */
const run_ = promisify(execFile)
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const DIABETIC = path.resolve(root, '..', 'shared', 'data', 'diabetic_data.csv')
const ENTITY_ROWS = 100_000
const FEATURE_ROWS = 1_000_000
const KEYS = 50_000
const VIEWS = ['bench_a', 'bench_b', 'bench_c']

const benchView = (name: string): StoredView => ({
  kind: 'feature',
  ...featureViewSchema.parse({
    name,
    entity: 'patient',
    source: 'bench',
    ttl: name === 'bench_c' ? '30d' : 0,
    fields: [
      { name: 'x', type: 'float' },
      { name: 'n', type: 'int' },
    ],
  }),
})

/** Alternating rounds of raw `\copy`, Postgres's floor and a cold ingest. */
const ROUNDS = 5
/** Alternating rounds of the hand-written point-in-time query and `historical()`. */
const PIT_ROUNDS = 3

interface ColdIngest {
  seconds: number
  /** CPU seconds of the ingesting process, all its threads. */
  nodeCpu: number
  /** CPU seconds of the Postgres server meanwhile (undefined: not on this machine). */
  serverCpu: number | undefined
}

/** One ingest of diabetic_data.csv in a new process (bench/ingest-once.ts). */
const ingestInFreshProcess = async (url: string, source: string): Promise<ColdIngest> => {
  const tsx = path.join(root, 'node_modules', '.bin', 'tsx')
  const serverBefore = await postgresCpuSeconds()
  const { stdout } = await run_(tsx, [
    path.join(root, 'bench', 'ingest-once.ts'),
    url,
    source,
    DIABETIC,
  ])
  // The postmaster adds a backend's time to its own once it has reaped it, just after it exits.
  await new Promise((resolve) => setTimeout(resolve, 200))
  const serverAfter = await postgresCpuSeconds()
  const { seconds, cpuSeconds } = JSON.parse(stdout) as { seconds: number; cpuSeconds: number }
  return {
    seconds,
    nodeCpu: cpuSeconds,
    serverCpu:
      serverBefore === undefined || serverAfter === undefined
        ? undefined
        : serverAfter - serverBefore,
  }
}

const seconds = async (f: () => Promise<unknown>): Promise<number> => {
  const t0 = performance.now()
  await f()
  return (performance.now() - t0) / 1000
}

const psql = (url: string, ...commands: string[]) =>
  run_('psql', [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', ...commands.flatMap((c) => ['-c', c])], {
    maxBuffer: 1 << 26,
  })

/** Deterministic entity rows (xorshift32): keys among KEYS, times spread over 2023. */
const entityRows = (n: number, keys: number): EntityRow[] => {
  let s = 2463534242
  const next = () => {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    return (s >>> 0) / 2 ** 32
  }
  const start = Date.UTC(2023, 0, 1)
  return Array.from({ length: n }, () => ({
    entityKey: `p${String(Math.floor(next() * keys)).padStart(6, '0')}`,
    eventTs: new Date(start + Math.floor(next() * 365 * 86_400) * 1000),
  }))
}

/** Synthetic history with generate_series: each key gets rows every ~few days through 2023. */
const fillViews = async (db: Db, views: StoredView[], rowsPerView: number, keys: number) => {
  for (const [i, v] of views.entries()) {
    const t = viewTable(v).table
    await sql`insert into ${sql.id(t)} (entity_key, event_ts, created_ts, x, n)
      select 'p' || lpad((g % ${keys})::text, 6, '0'),
        timestamptz '2023-01-01Z' + ((g::bigint * 7919 + ${i}) % 31536000) * interval '1 second',
        '-infinity', (g % 1000) / 10.0, g % 97
      from generate_series(1, ${rowsPerView}) as g
      on conflict do nothing`.execute(db.kysely)
    await sql`analyze ${sql.id(t)}`.execute(db.kysely)
  }
}

const handWrittenPit = `select e.ord, a.x, a.n, b.x, b.n, c.x, c.n from bench_entities e
  left join lateral (select x, n from fv_bench_a t where t.entity_key = e.entity_key and t.event_ts <= e.event_ts
    order by t.event_ts desc, t.created_ts desc limit 1) a on true
  left join lateral (select x, n from fv_bench_b t where t.entity_key = e.entity_key and t.event_ts <= e.event_ts
    order by t.event_ts desc, t.created_ts desc limit 1) b on true
  left join lateral (select x, n from fv_bench_c t where t.entity_key = e.entity_key and t.event_ts <= e.event_ts
    and t.event_ts >= e.event_ts - interval '30 days' order by t.event_ts desc, t.created_ts desc limit 1) c on true
  order by e.ord`

export async function run(): Promise<string> {
  const base = process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/postgres'
  const name = `ward_bench_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: base })
  await admin.connect()
  await admin.query(`create database ${name}`)
  const u = new URL(base)
  u.pathname = `/${name}`
  const url = u.toString()
  const repo = await loadFeatureRepo(path.join(root, 'features'))
  const source = 'diabetic_encounters'
  const views = [...repo.viewsOfSource(source)]
  const rows = 101_766
  const opened: Db[] = []
  let dumps: string[] = []
  try {
    // Ingest: Postgres, PGlite, raw \copy.
    const pgDb = await connectDb({ type: 'postgres', url })
    opened.push(pgDb)
    await migrateToLatest(pgDb)
    const pgStore = createPostgresOfflineStore(pgDb)
    await pgStore.ensureTables(views)
    // A first ingest fills the tables whose rows the floor below copies back in.
    await ingestCsv({ db: pgDb, store: pgStore, repo, source, file: DIABETIC })
    const pgReingest = await seconds(() =>
      ingestCsv({ db: pgDb, store: pgStore, repo, source, file: DIABETIC }),
    )
    // Postgres alone storing exactly the typed rows the way Ward stores a first load: psql \copy
    // of the stored rows (COPY text, as Ward sends them) into new tables, then their primary keys,
    // in one committed transaction; the tables are dropped afterwards, untimed.
    const tables = views.map((v) => viewTable(v).table)
    dumps = tables.map((t) => path.join(tmpdir(), `${name}_${t}.copy`))
    for (const [i, t] of tables.entries()) await psql(url, `\\copy ${t} to '${dumps[i]}'`)
    const floorOnce = async () => {
      const took = await seconds(() =>
        psql(
          url,
          'begin',
          ...tables.flatMap((t, i) => [
            `create table floor_${t} (like ${t})`,
            `\\copy floor_${t} from '${dumps[i]}'`,
            `alter table floor_${t} add primary key (${KEY_COLUMNS.join(', ')})`,
          ]),
          'commit',
        ),
      )
      await psql(url, ...tables.map((t) => `drop table floor_${t}`))
      return took
    }
    const header = (await run_('head', ['-1', DIABETIC])).stdout.trim().split(',')
    const cols = header.map((_, i) => `c${i} text`).join(', ')
    await psql(url, `create table raw_diabetic (${cols})`)
    const rawOnce = () =>
      seconds(() =>
        psql(
          url,
          'begin',
          'truncate raw_diabetic',
          `\\copy raw_diabetic from '${DIABETIC}' csv header`,
          'commit',
        ),
      )
    // This shared machine's speed drifts by ±20% within minutes, so the three are measured in
    // alternating rounds and compared per round; each cold ingest is a fresh process.
    const rounds: { raw: number; floor: number; cold: number }[] = []
    const colds: ColdIngest[] = []
    for (let i = 0; i < ROUNDS; i++) {
      const raw = await rawOnce()
      const floor = await floorOnce()
      const cold = await ingestInFreshProcess(url, source)
      rounds.push({ raw, floor, cold: cold.seconds })
      colds.push(cold)
    }
    // The same ingest in a process that has run it before (JIT-compiled).
    const warmRuns: number[] = []
    for (let i = 0; i < 3; i++) {
      for (const v of views) await sql`truncate ${sql.id(viewTable(v).table)}`.execute(pgDb.kysely)
      warmRuns.push(
        await seconds(() => ingestCsv({ db: pgDb, store: pgStore, repo, source, file: DIABETIC })),
      )
    }
    const rawCopy = median(rounds.map((r) => r.raw))
    const typedFloor = median(rounds.map((r) => r.floor))
    const pgIngest = median(rounds.map((r) => r.cold))
    const pgWarm = median(warmRuns)
    const coldVsFloor = median(rounds.map((r) => r.cold / r.floor))
    const coldVsRaw = median(rounds.map((r) => r.cold / r.raw))
    const spread = (xs: number[]) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)} s`

    const lite = await connectDb({ type: 'pglite', path: ':memory:' })
    opened.push(lite)
    await migrateToLatest(lite)
    const liteStore = createPostgresOfflineStore(lite)
    await liteStore.ensureTables(views)
    const liteIngest = await seconds(() =>
      ingestCsv({ db: lite, store: liteStore, repo, source, file: DIABETIC }),
    )

    // Point-in-time join.
    const pitViews = VIEWS.map(benchView)
    await pgStore.ensureTables(pitViews)
    const fill = await seconds(() => fillViews(pgDb, pitViews, Math.ceil(FEATURE_ROWS / 3), KEYS))
    const entities = entityRows(ENTITY_ROWS, KEYS)
    const request = {
      entityRows: entities,
      features: pitViews.map((view) => ({ view, fields: ['x', 'n'] })),
    }
    await psql(
      url,
      'create table bench_entities (ord integer, entity_key text collate "C", event_ts timestamptz)',
    )
    await sql`insert into bench_entities select * from unnest(${entities.map((_, i) => i)}::integer[],
      ${entities.map((e) => e.entityKey)}::text[], ${entities.map((e) => e.eventTs.toISOString())}::timestamptz[])`.execute(
      pgDb.kysely,
    )
    await psql(url, 'analyze bench_entities')
    // Alternating rounds, compared per round, as for the ingest (one pair once read 2.2×, then 1.3×).
    let out = 0
    const pitRounds: { direct: number; ours: number }[] = []
    for (let i = 0; i < PIT_ROUNDS; i++) {
      const direct = await seconds(() => psql(url, '\\o /dev/null', handWrittenPit))
      const ours = await seconds(async () => {
        out = (await pgStore.historical(request)).length
      })
      pitRounds.push({ direct, ours })
    }
    const direct = median(pitRounds.map((r) => r.direct))
    const ours = median(pitRounds.map((r) => r.ours))
    const oursVsDirect = median(pitRounds.map((r) => r.ours / r.direct))

    const liteViews = pitViews
    await liteStore.ensureTables(liteViews)
    await fillViews(lite, liteViews, Math.ceil(FEATURE_ROWS / 30), KEYS / 10)
    const liteEntities = entityRows(ENTITY_ROWS / 10, KEYS / 10)
    const litePit = await seconds(() =>
      liteStore.historical({ entityRows: liteEntities, features: request.features }),
    )

    const pgRate = rows / pgIngest
    const rate = (s: number, n = rows) => `${Math.round(n / s).toLocaleString('en-US')} rows/s`
    const cores = availableParallelism()
    const nodeCpu = median(colds.map((c) => c.nodeCpu))
    const serverCpus = colds.flatMap((c) => (c.serverCpu === undefined ? [] : [c.serverCpu]))
    const cpuNote =
      serverCpus.length === 0
        ? `CPU per ingest in a fresh process: Node ${nodeCpu.toFixed(2)} s (median, all its threads); the server's share was not measured (Postgres does not run on this machine).`
        : (() => {
            const serverCpu = median(serverCpus)
            const bound = (nodeCpu + serverCpu) / cores
            const target = rows / 100_000
            return `CPU per ingest in a fresh process (medians): Node ${nodeCpu.toFixed(2)} s (all its threads) + Postgres ${serverCpu.toFixed(2)} s (every server process, WAL writer and checkpointer included; read from /proc) = ${(nodeCpu + serverCpu).toFixed(2)} s. On this machine's ${cores} cores no split of that work between threads can finish in under ${bound.toFixed(2)} s (${rate(bound)}); ${bound < target ? `the target's ${target.toFixed(2)} s leaves ${(target - bound).toFixed(2)} s above it for whatever cannot overlap (start-up, the key builds after the last row, commit) and for the CPU a split between threads itself costs` : `that is more than the target's ${target.toFixed(2)} s: only less CPU per row can meet it`}.`
          })()
    return [
      '## Offline store (ingest, point-in-time join)',
      '',
      '`npm run bench -- offline` (throw-away database on DATABASE_URL or 127.0.0.1:5432).',
      '',
      `Ingest of diabetic_data.csv (${rows.toLocaleString('en-US')} rows × 50 columns, ${views.length} views (${views.map((v) => v.name).join(', ')}) → ${(rows * views.length).toLocaleString('en-US')} typed rows, validation included, one transaction). Raw \`\\copy\`, the floor and the cold ingest ran in ${ROUNDS} alternating rounds (this shared machine's speed drifts by ±20% within minutes): medians, with the range; ratios are medians of the per-round ratios.`,
      '',
      '| what | time (median) | range | throughput | vs raw `\\copy` |',
      '| --- | ---: | ---: | ---: | ---: |',
      `| psql \`\\copy\` into 50 untyped text columns (baseline) | ${rawCopy.toFixed(2)} s | ${spread(rounds.map((r) => r.raw))} | ${rate(rawCopy)} | 1.00× |`,
      `| psql \`\\copy\` of the typed rows Ward stores (COPY text) into new tables, then their primary keys, committed, as Ward loads a first file: Postgres's own floor, no parsing or validation | ${typedFloor.toFixed(2)} s | ${spread(rounds.map((r) => r.floor))} | ${rate(typedFloor)} | ${median(rounds.map((r) => r.floor / r.raw)).toFixed(1)}× slower |`,
      `| \`ingestCsv\` → Postgres in a fresh process (as \`ward ingest\` runs it) | ${pgIngest.toFixed(2)} s | ${spread(rounds.map((r) => r.cold))} | ${rate(pgIngest)} | ${coldVsRaw.toFixed(1)}× slower |`,
      `| \`ingestCsv\` → Postgres, warm (JIT-compiled, into emptied tables; 3 runs) | ${pgWarm.toFixed(2)} s | ${spread(warmRuns)} | ${rate(pgWarm)} | ${(pgWarm / rawCopy).toFixed(1)}× slower |`,
      `| \`ingestCsv\` → Postgres, same file again (every row skipped and compared with the stored one; 1 run) | ${pgReingest.toFixed(2)} s | — | ${rate(pgReingest)} | ${(pgReingest / rawCopy).toFixed(1)}× slower |`,
      `| \`ingestCsv\` → PGlite (in memory; 1 run) | ${liteIngest.toFixed(2)} s | — | ${rate(liteIngest)} | ${(liteIngest / rawCopy).toFixed(1)}× slower |`,
      '',
      `Target ≥ 100,000 rows/s into Postgres: ${pgRate >= 100_000 ? 'met' : 'missed'} (${rate(pgIngest)} in a fresh process, ${rate(pgWarm)} warm). Ward's ingest takes ${coldVsFloor.toFixed(2)}× Postgres's own time to store the same typed rows (median of per-round ratios); that floor alone is ${rate(typedFloor)} on this machine. Scaled to this machine: the issue set the target where raw \`\\copy\` ran at ~270,000 rows/s, so an ingest may take at most 2.7× raw \`\\copy\`'s time; here one in a fresh process takes ${coldVsRaw.toFixed(2)}× (median of per-round ratios): ${coldVsRaw <= 2.7 ? 'met' : 'missed'}. Warm runs are not paired with raw \`\\copy\` rounds: ${(pgWarm / rawCopy).toFixed(2)}× its median time.`,
      '',
      cpuNote,
      '',
      `Point-in-time join: ${ENTITY_ROWS.toLocaleString('en-US')} entity rows × 3 views (2 fields each, one with a 30-day TTL) over ${FEATURE_ROWS.toLocaleString('en-US')} feature rows (${KEYS.toLocaleString('en-US')} keys; synthetic, filled by generate_series in ${fill.toFixed(1)} s):`,
      '',
      '| what | time (median) | range | ratio |',
      '| --- | ---: | ---: | ---: |',
      `| hand-written LATERAL query in psql, entity table pre-loaded, output to /dev/null (baseline) | ${direct.toFixed(2)} s | ${spread(pitRounds.map((r) => r.direct))} | 1.00× |`,
      `| \`historical()\` on Postgres (COPY entity rows, query, ${out.toLocaleString('en-US')} result objects) | ${ours.toFixed(2)} s | ${spread(pitRounds.map((r) => r.ours))} | ${oursVsDirect.toFixed(2)}× (median of ${PIT_ROUNDS} alternating rounds' ratios; target ≤ 1.5×) |`,
      `| \`historical()\` on PGlite at 1/10 scale (10,000 × 3 over 100,000 rows; 1 run) | ${litePit.toFixed(2)} s | — | — |`,
      '',
    ].join('\n')
  } finally {
    await Promise.all(dumps.map((d) => rm(d, { force: true })))
    for (const db of opened) await db.close().catch(() => {})
    await admin.query(`drop database if exists ${name} with (force)`)
    await admin.end()
  }
}
