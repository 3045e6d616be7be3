/**
 * One `ingestCsv` of a file in a fresh process, as `ward ingest` runs it (no JIT warm-up from
 * earlier runs): empties the source's view tables first (not timed), then prints as JSON the
 * seconds the ingest took and the CPU seconds this process used for it (all its threads). Used
 * by offline.bench.ts: `tsx bench/ingest-once.ts URL SOURCE FILE`.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { sql } from 'kysely'
import { connectDb } from '../src/db/connect.js'
import { loadFeatureRepo } from '../src/features/load.js'
import { ingestCsv } from '../src/offline/ingest.js'
import { createPostgresOfflineStore } from '../src/offline/postgres-offline-store.js'
import { viewTable } from '../src/offline/view-tables.js'

const [url, source, file] = process.argv.slice(2)
if (!url || !source || !file) throw new Error('usage: ingest-once.ts URL SOURCE FILE')
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const repo = await loadFeatureRepo(path.join(root, 'features'))
const db = await connectDb({ type: 'postgres', url })
try {
  const store = createPostgresOfflineStore(db)
  for (const v of repo.viewsOfSource(source)) {
    await sql`truncate ${sql.id(viewTable(v).table)}`.execute(db.kysely)
  }
  const started = performance.now()
  const cpuBefore = process.cpuUsage()
  const report = await ingestCsv({ db, store, repo, source, file })
  const cpu = process.cpuUsage(cpuBefore)
  const seconds = (performance.now() - started) / 1000
  const cpuSeconds = (cpu.user + cpu.system) / 1e6
  process.stdout.write(`${JSON.stringify({ seconds, cpuSeconds, rowsRead: report.rowsRead })}\n`)
} finally {
  await db.close()
}
