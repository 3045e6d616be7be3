import { sql } from 'kysely'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { testDatabases } from '../../test/support/databases.js'
import { AppError } from '../core/errors.js'
import type { Db } from '../db/connect.js'
import { applyFeatureRepo, planAgainstDb, readAppliedDefinitions } from './apply.js'
import { contentHash } from './content-hash.js'
import type { FeatureRepo } from './repo.js'
import type { StoredView } from './schema.js'
import { clinicFile, repoOf } from './test-support.js'

type Json = ReturnType<typeof clinicFile> & {
  feature_views: (Record<string, unknown> & { fields: Record<string, unknown>[] })[]
}

const edited = (edit: (f: Json) => void) => {
  const f = clinicFile() as Json
  edit(f)
  return repoOf(f)
}

describe.each(testDatabases())('applyFeatureRepo on $name', ({ open }) => {
  // One database per backend (PGlite start-up is slow on 2 cores); each test starts empty.
  let db: Db
  beforeAll(async () => {
    db = await open()
  })
  afterAll(async () => {
    await db.close()
  })
  beforeEach(async () => {
    await db.kysely.deleteFrom('feature_definitions').execute()
  })

  it('stores definitions with hashes, is idempotent, and calls ensureTables every time', async () => {
    const calls: string[][] = []
    const ensure = async (views: StoredView[]) => {
      calls.push(views.map((v) => `${v.kind}:${v.name}`))
    }
    const t1 = new Date('2024-05-01T10:00:00Z')
    const first = await applyFeatureRepo(db, repoOf(clinicFile()), ensure, t1)
    expect(first.written).toBe(4)
    const rows = await readAppliedDefinitions(db)
    expect(rows.map((r) => `${r.kind}:${r.name}`)).toEqual([
      'entity:patient',
      'feature_view:vitals',
      'label_view:outcome',
      'source:clinic',
    ])
    for (const r of rows) expect(r.content_hash).toBe(contentHash(r.spec as object))
    const second = await applyFeatureRepo(db, repoOf(clinicFile()), ensure)
    expect(second.written).toBe(0)
    expect(calls).toEqual([
      ['feature:vitals', 'label:outcome'],
      ['feature:vitals', 'label:outcome'],
    ])
    const at = await db.kysely.selectFrom('feature_definitions').select('applied_at').execute()
    expect(at.map((r) => new Date(r.applied_at).getTime())).toEqual(
      [t1, t1, t1, t1].map((d) => d.getTime()),
    )

    // A compatible change updates only that row.
    const t2 = new Date('2024-06-01T10:00:00Z')
    const third = await applyFeatureRepo(
      db,
      edited((f) => {
        f.feature_views[0]?.fields.push({ name: 'bmi', type: 'float' })
      }),
      ensure,
      t2,
    )
    expect(third.written).toBe(1)
    const vitals = await db.kysely
      .selectFrom('feature_definitions')
      .selectAll()
      .where('name', '=', 'vitals')
      .executeTakeFirstOrThrow()
    expect(new Date(vitals.applied_at).getTime()).toBe(t2.getTime())
    expect((vitals.spec as { fields: { name: string }[] }).fields.map((f) => f.name)).toContain(
      'bmi',
    )
    expect((await planAgainstDb(db, repoOf(clinicFile()))).breaking).toEqual([
      "feature_view vitals: field 'bmi' removed or renamed (stored history and models use it; keep it)",
    ])
  })

  it('refuses a breaking plan with CONFLICT, writing nothing and creating no tables', async () => {
    let ensured = 0
    const ensure = async () => {
      ensured++
    }
    await applyFeatureRepo(db, repoOf(clinicFile()), ensure)
    const before = await readAppliedDefinitions(db)
    const breaking = edited((f) => {
      const fields = f.feature_views[0]?.fields ?? []
      const chol = fields.find((x) => x.name === 'chol')
      if (chol) chol.type = 'int'
      f.feature_views[0] = {
        ...f.feature_views[0],
        fields: fields.filter((x) => x.name !== 'note'),
        ttl: '1d',
      }
    })
    const err = await applyFeatureRepo(db, breaking, ensure).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AppError)
    expect((err as AppError).code).toBe('CONFLICT')
    expect((err as AppError).message).toBe(
      "refusing to apply breaking change: feature_view vitals: field 'note' removed or renamed (stored history and models use it; keep it) (+1 more: feature_view vitals: field 'chol' type changed float → int)",
    )
    expect(await readAppliedDefinitions(db)).toEqual(before)
    expect(ensured).toBe(1)
  })

  it('computes every view table before the transaction: a table error commits nothing', async () => {
    // A repo that slipped past the cross-check (built by hand): a field clashing with a key column.
    const valid = repoOf(clinicFile())
    const clashing: FeatureRepo = {
      ...valid,
      views: valid.views.map((v) =>
        v.name === 'vitals'
          ? {
              ...v,
              fields: [
                ...v.fields,
                { name: 'event_ts', type: 'string', nullable: true, missing_values: [] },
              ],
            }
          : v,
      ),
    }
    let ensured = 0
    const err = await applyFeatureRepo(db, clashing, async () => {
      ensured++
    }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AppError)
    expect((err as AppError).code).toBe('VALIDATION')
    expect((err as AppError).message).toContain("field 'event_ts' clashes with a key column")
    expect(await readAppliedDefinitions(db)).toEqual([])
    expect(ensured).toBe(0)
  })

  it('rolls back every definition when one write fails', async () => {
    try {
      // A trigger that rejects the label view's row makes the 4th insert fail mid-transaction.
      await sql`create function ward_block() returns trigger language plpgsql as $$ begin if new.name = 'outcome' then raise exception 'blocked'; end if; return new; end $$`.execute(
        db.kysely,
      )
      await sql`create trigger ward_block before insert on feature_definitions for each row execute function ward_block()`.execute(
        db.kysely,
      )
      await expect(applyFeatureRepo(db, repoOf(clinicFile()), async () => {})).rejects.toThrow(
        'blocked',
      )
      expect(await readAppliedDefinitions(db)).toEqual([])
    } finally {
      await sql`drop trigger if exists ward_block on feature_definitions`.execute(db.kysely)
    }
  })
})
