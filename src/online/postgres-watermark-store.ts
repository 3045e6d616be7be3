import { AppError } from '../core/errors.js'
import type { Db } from '../db/connect.js'
import type { WatermarkStore } from './watermark-store.js'

/** Watermarks in the `materialization_watermarks` table (migration 0002), on PGlite or Postgres. */
export class PostgresWatermarkStore implements WatermarkStore {
  constructor(
    private readonly db: Db,
    /** Stamps `updated_at`; injectable for tests. */
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async get(view: string): Promise<Date | undefined> {
    const row = await this.guard(
      this.db.kysely
        .selectFrom('materialization_watermarks')
        .select('watermark')
        .where('view', '=', view)
        .executeTakeFirst(),
    )
    return row?.watermark
  }

  /** Upserts the view's watermark (one statement, so it is never half-written). */
  async set(view: string, watermark: Date): Promise<void> {
    const updatedAt = this.clock()
    await this.guard(
      this.db.kysely
        .insertInto('materialization_watermarks')
        .values({ view, watermark, updated_at: updatedAt })
        .onConflict((oc) => oc.column('view').doUpdateSet({ watermark, updated_at: updatedAt }))
        .execute(),
    )
  }

  private async guard<T>(query: Promise<T>): Promise<T> {
    try {
      return await query
    } catch (e) {
      throw new AppError('UNAVAILABLE', `${this.db.target}: watermark query failed: ${e}`, {
        cause: e,
      })
    }
  }
}
