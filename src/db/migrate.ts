import { Migrator } from 'kysely/migration'
import { AppError } from '../core/errors.js'
import type { Db } from './connect.js'
import { migrationProvider } from './migrations/index.js'

/** Brings the static tables up to date; safe to call on every start. */
export const migrateToLatest = async (db: Db): Promise<void> => {
  const migrator = new Migrator({ db: db.kysely, provider: migrationProvider })
  const { error, results } = await migrator.migrateToLatest()
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown'
    throw new AppError('INTERNAL', `${db.target}: migration ${failed} failed: ${error}`, {
      cause: error,
    })
  }
}
