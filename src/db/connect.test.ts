import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testDatabases } from '../../test/support/databases.js'
import { isAppError } from '../core/errors.js'
import { connectDb } from './connect.js'

describe('connectDb on a PGlite folder', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ward-pglite-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('lets one holder at a time open the folder, and the next one in once it closed', async () => {
    const where = path.join(dir, 'one')
    const first = await connectDb({ type: 'pglite', path: where })
    await sql`create table t (n int)`.execute(first.kysely)
    const second = await connectDb({ type: 'pglite', path: where }).catch((e: unknown) => e)
    expect(isAppError(second) && second.code).toBe('UNAVAILABLE')
    expect((second as Error).message).toBe(
      `PGlite at ${where} is in use by another ward process (e.g. \`ward serve\` or \`ward demo\`; after a crash the lock clears within 30 s); stop it first, or share a Postgres store (DATABASE_URL)`,
    )
    await first.close()
    const third = await connectDb({ type: 'pglite', path: where })
    await sql`insert into t values (1)`.execute(third.kysely)
    await third.close()
  })

  it('keeps another process out while the folder is held', async () => {
    const where = path.join(dir, 'two')
    const held = await connectDb({ type: 'pglite', path: where })
    try {
      // A second process, as `ward ingest` beside a running `ward demo` would be.
      const script = `import('${path.resolve('src/db/connect.ts').replaceAll('\\', '/')}')
        .then((m) => m.connectDb({ type: 'pglite', path: ${JSON.stringify(where)} }))
        .then(() => { console.log('opened'); process.exit(0) }, (e) => { console.log(e.message); process.exit(1) })`
      const out = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '-e', script])
        let stdout = ''
        child.stdout.on('data', (d) => {
          stdout += String(d)
        })
        child.on('close', (code) => resolve({ code, stdout }))
      })
      expect(out.code).toBe(1)
      expect(out.stdout).toMatch(/is in use by another ward process/)
    } finally {
      await held.close()
    }
  })
})

// Postgres only: PGlite runs in this process and has no connection to lose.
for (const { open } of testDatabases().filter((d) => d.name === 'postgres')) {
  describe('connectDb on Postgres, when the server drops a connection mid-query', () => {
    it('rejects the query, keeps the process alive and names the server as unavailable', async () => {
      const db = await open()
      try {
        // A plain SQL error is not a lost connection.
        const bad = await sql`select * from no_such_table`
          .execute(db.kysely)
          .catch((x: unknown) => x)
        expect(bad).toBeInstanceOf(Error)
        expect(db.explainFailure(bad)).toBeUndefined()
        const marker = `ward_drop_${Date.now()}`
        const running = sql`select pg_sleep(30), ${sql.lit(marker)}::text`.execute(db.kysely)
        const failed = running.then(
          () => undefined,
          (e: unknown) => e,
        )
        // Another connection ends the busy one, as a server restart or a proxy timeout would.
        const admin = new pg.Client({ connectionString: process.env.DATABASE_URL })
        await admin.connect()
        try {
          for (let tries = 0; tries < 50; tries++) {
            const { rows } = await admin.query(
              `select pg_terminate_backend(pid) as done from pg_stat_activity
               where query like '%' || $1 || '%' and pid <> pg_backend_pid()`,
              [marker],
            )
            if (rows.length > 0) break
            await new Promise((r) => setTimeout(r, 100))
          }
        } finally {
          await admin.end()
        }
        const e = await failed
        expect(e).toBeInstanceOf(Error)
        expect(db.explainFailure(e)).toMatchObject({
          code: 'UNAVAILABLE',
          message: expect.stringMatching(
            /^Postgres at postgres:\/\/.* stopped answering during the command/,
          ),
        })
        // Also when wrapped, as materialize wraps a failure whose cleanup failed too.
        expect(db.explainFailure(new AggregateError([e], 'materialize failed'))?.code).toBe(
          'UNAVAILABLE',
        )
      } finally {
        await db.close()
      }
    })
  })
}
