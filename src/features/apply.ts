import type { Db } from '../db/connect.js'
import { viewTable } from '../offline/view-tables.js'
import {
  type AppliedDefinition,
  breakingChangeError,
  type FeaturePlan,
  planFeatureRepo,
} from './plan.js'
import type { FeatureRepo } from './repo.js'
import type { StoredView } from './schema.js'

/** Reads every row of `feature_definitions`, ordered by kind and name. */
export const readAppliedDefinitions = async (db: Db): Promise<AppliedDefinition[]> =>
  db.kysely
    .selectFrom('feature_definitions')
    .select(['kind', 'name', 'spec', 'content_hash'])
    .orderBy('kind')
    .orderBy('name')
    .execute()

/** `ward plan`: what `apply` would do, without writing anything. */
export const planAgainstDb = async (db: Db, repo: FeatureRepo): Promise<FeaturePlan> =>
  planFeatureRepo(repo, await readAppliedDefinitions(db))

export interface ApplyResult {
  plan: FeaturePlan
  /** Rows of `feature_definitions` inserted or updated. */
  written: number
}

/**
 * `ward apply`. Refuses a plan with breaking changes (AppError 'CONFLICT' listing each of them,
 * nothing written) and views whose table layout is invalid (`viewTable`'s VALIDATION, nothing
 * written). Otherwise upserts every created or updated definition with its content hash
 * and `now` as applied_at in one transaction, then calls `ensureTables` (the offline store's) with
 * all views of the files.
 *
 * `ensureTables` runs after the commit and on every apply, even when nothing changed: it is
 * idempotent, so if it fails a second `ward apply` repairs the tables. Removed objects stay in
 * `feature_definitions` and keep their tables.
 */
export const applyFeatureRepo = async (
  db: Db,
  repo: FeatureRepo,
  ensureTables: (views: StoredView[]) => Promise<void>,
  now: Date = new Date(),
): Promise<ApplyResult> => {
  // Table layouts are pure and cheap; computing them first means a table-level error (say a
  // field clashing with a key column) is raised before anything is committed.
  for (const v of repo.views) viewTable(v)
  const plan = await planAgainstDb(db, repo)
  const refusal = breakingChangeError(plan, 'refusing to apply')
  if (refusal) throw refusal
  const toWrite = plan.items.flatMap((i) => (i.desired ? [i.desired] : []))
  if (toWrite.length) {
    await db.kysely.transaction().execute(async (tx) => {
      for (const d of toWrite) {
        const row = {
          spec: JSON.stringify(d.spec),
          content_hash: d.contentHash,
          applied_at: now,
        }
        await tx
          .insertInto('feature_definitions')
          .values({ kind: d.kind, name: d.name, ...row })
          .onConflict((oc) => oc.columns(['kind', 'name']).doUpdateSet(row))
          .execute()
      }
    })
  }
  await ensureTables([...repo.views])
  return { plan, written: toWrite.length }
}
