import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { isAppError } from '../core/errors.js'
import { MemoryOnlineStore } from './memory-online-store.js'
import { openOnlineStore } from './open-online-store.js'
import { connectRedis } from './redis-connect.js'

describe('openOnlineStore', () => {
  it('opens a memory store whose relative snapshot path resolves against the config folder', async () => {
    const rootDir = await mkdtemp(join(tmpdir(), 'ward-open-'))
    try {
      const config = {
        project: 'demo',
        rootDir,
        online_store: { type: 'memory' as const, path: 'state/online.json' },
      }
      const store = await openOnlineStore(config)
      expect(store).toBeInstanceOf(MemoryOnlineStore)
      const view = { name: 'v', ttl: 0, fields: [{ name: 'x', type: 'int' as const }] }
      await store.write(view, [
        { entityKey: 'a', eventTs: new Date(0), createdTs: null, values: { x: 1 } },
      ])
      await store.close()
      const saved = JSON.parse(await readFile(join(rootDir, 'state', 'online.json'), 'utf8'))
      expect(saved.views.v.a).toEqual({ _ts: '1970-01-01T00:00:00.000Z', x: '1' })
    } finally {
      await rm(rootDir, { recursive: true, force: true })
    }
  })

  it('opens the configured Redis, failing with UNAVAILABLE without its password', async () => {
    const config = {
      project: 'demo',
      rootDir: '/nowhere',
      online_store: { type: 'redis' as const, url: 'redis://:pw@127.0.0.1:1' },
    }
    const error = await openOnlineStore(config).catch((e: unknown) => e)
    expect(isAppError(error) && error.code).toBe('UNAVAILABLE')
    expect((error as Error).message).toContain('Redis at redis://:***@127.0.0.1:1')
  })
})

// Needs a real server: runs when REDIS_URL is set (as in CI).
for (const url of process.env.REDIS_URL ? [process.env.REDIS_URL] : []) {
  describe('connectRedis on a real server', () => {
    it('refuses a database index the server does not have, instead of using database 0', async () => {
      const u = new URL(url)
      u.pathname = '/9999'
      const error = await connectRedis(u.toString()).catch((e: unknown) => e)
      expect(isAppError(error) && error.code).toBe('VALIDATION')
      expect((error as Error).message).toMatch(
        /^Redis at redis:\/\/.*: database 9999 cannot be selected/,
      )
    })
  })
}
