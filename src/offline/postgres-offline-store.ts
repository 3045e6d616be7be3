import { sql } from 'kysely'
import { AppError } from '../core/errors.js'
import type { Db } from '../db/connect.js'
import type { StoredView } from '../features/schema.js'
import { ensureViewTables } from './ensure-tables.js'
import { loadEntityRows } from './entity-rows.js'
import { latestFieldsJsonPages, latestRowsPages } from './latest-rows.js'
import type {
  FeatureValue,
  HistoricalRequest,
  HistoricalResult,
  OfflineStore,
} from './offline-store.js'
import { type PitView, pitColumn, pointInTimeQuery } from './pit-query.js'
import { analyzeKeyColumns, openRowWriter } from './row-writer.js'
import { inSession } from './session.js'
import { pickFields, type ViewTable, viewTable } from './view-tables.js'

/**
 * The offline store on PGlite or Postgres: one Kysely code path, bulk loads by COPY on both
 * (`session.ts` feeds it the driver's way).
 */
export const createPostgresOfflineStore = (db: Db): OfflineStore => ({
  ensureTables: (views) => ensureViewTables(db, views),

  writeRows: async (view, rows) => {
    const table = viewTable(view)
    if (rows.length === 0) return 0
    let firstLoads: ViewTable[] = []
    const stored = await inSession(db, async (s) => {
      const writer = await openRowWriter(s, [table])
      for (const row of rows) writer.add(view.name, row)
      const byView = await writer.finish()
      firstLoads = writer.firstLoads()
      return byView.get(view.name) ?? 0
    })
    await analyzeKeyColumns(db, firstLoads)
    return stored
  },

  historical: (request) => historical(db, request),

  latestRows: (view, start, end) => latestRowsPages(db, view, start, end),

  latestFieldsJson: (view, start, end) => latestFieldsJsonPages(db, view, start, end),
})

const historical = async (db: Db, request: HistoricalRequest): Promise<HistoricalResult> => {
  const views: PitView[] = request.features.map(({ view, fields }) => {
    const table = viewTable(view)
    return { table, fields: pickFields(table, fields), ttlSeconds: view.ttl }
  })
  assertOneEntity(request.features.map((f) => f.view))
  if (request.entityRows.length === 0) return []
  const names = views.map((v) => v.fields.map((f) => `${v.table.view}:${f.name}`))
  return inSession(db, async (s) => {
    await loadEntityRows(s, request.entityRows)
    const { rows } = await pointInTimeQuery(views).execute(s.tx)
    return rows.map((r) => {
      const out: Record<string, FeatureValue> = {}
      names.forEach((viewNames, i) => {
        viewNames.forEach((name, j) => {
          out[name] = (r[pitColumn(i, j)] ?? null) as FeatureValue
        })
      })
      return out
    })
  })
}

const assertOneEntity = (views: readonly StoredView[]): void => {
  const [first, ...rest] = views
  const other = rest.find((v) => v.entity !== first?.entity)
  if (first && other) {
    throw new AppError(
      'VALIDATION',
      `features must share one entity: view ${first.name} keys on ${first.entity}, view ${other.name} on ${other.entity}`,
      { field: other.name },
    )
  }
}

/** The number of rows stored for a view (for tests, reports and the bench). */
export const countViewRows = async (db: Db, view: StoredView): Promise<number> => {
  const { rows } = await sql<{
    n: number
  }>`select count(*)::integer as n from ${sql.id(viewTable(view).table)}`.execute(db.kysely)
  return rows[0]?.n ?? 0
}
