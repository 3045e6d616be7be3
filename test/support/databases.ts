import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { connectDb, type Db } from '../../src/db/connect.js'
import { migrateToLatest } from '../../src/db/migrate.js'

/**
 * The SQL backends every SQL suite runs on: PGlite always, real Postgres when DATABASE_URL is set.
 * Each `open()` gives a fresh, migrated, empty database, so suites never see each other's rows.
 */
export interface TestDatabase {
  name: 'pglite' | 'postgres'
  open(): Promise<Db>
}

export const testDatabases = (): TestDatabase[] => {
  const list: TestDatabase[] = [{ name: 'pglite', open: openPglite }]
  const url = process.env.DATABASE_URL
  if (url) list.push({ name: 'postgres', open: () => openFreshPostgres(url) })
  return list
}

const openPglite = async (): Promise<Db> => {
  const db = await connectDb({ type: 'pglite', path: ':memory:' })
  await migrateToLatest(db)
  return db
}

/** Creates a throw-away database on the server and drops it on close. */
const openFreshPostgres = async (url: string): Promise<Db> => {
  const name = `ward_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const u = new URL(url)
  u.pathname = `/${name}`
  const db = await connectDb({ type: 'postgres', url: u.toString() })
  await migrateToLatest(db)
  return {
    ...db,
    close: async () => {
      await db.close()
      const c = new pg.Client({ connectionString: url })
      await c.connect()
      await c.query(`drop database if exists ${name} with (force)`)
      await c.end()
    },
  }
}
