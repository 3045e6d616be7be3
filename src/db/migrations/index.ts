import type { Migration, MigrationProvider } from 'kysely/migration'
import * as m0001 from './0001-feature-metadata.js'
import * as m0002 from './0002-materialization.js'

/** A static list (no folder scanning), so the build bundles cleanly. Append only; never edit. */
const migrations: Record<string, Migration> = {
  '0001-feature-metadata': m0001,
  '0002-materialization': m0002,
}

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
}
