import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { testDatabases } from './databases.js'

describe.each(testDatabases())('$name test database', ({ open }) => {
  it('opens migrated and empty, and is gone after close', async () => {
    const db = await open()
    const r = await sql<{ n: string }>`select count(*) as n from feature_definitions`.execute(
      db.kysely,
    )
    expect(Number(r.rows[0]?.n)).toBe(0)
    await db.close()
  })
})
