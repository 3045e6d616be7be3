import { mkdtemp, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { AppError } from '../core/errors.js'
import { loadConfig } from './load.js'

const write = async (text: string): Promise<string> => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ward-config-'))
  const file = path.join(dir, 'config.yaml')
  await writeFile(file, text)
  return file
}

describe('loadConfig', () => {
  it('fills embedded defaults and resolves the root folder', async () => {
    const file = await write('project: demo\n')
    const c = await loadConfig(file, {})
    expect(c.offline_store).toEqual({ type: 'pglite', path: '.ward/pglite' })
    expect(c.online_store).toEqual({ type: 'memory' })
    expect(c.rootDir).toBe(path.dirname(file))
  })

  it('lets DATABASE_URL and REDIS_URL override the stores', async () => {
    const file = await write('project: demo\noffline_store: {type: pglite, path: x}\n')
    const c = await loadConfig(file, {
      DATABASE_URL: 'postgres://u@h/db',
      REDIS_URL: 'redis://h:6379',
    })
    expect(c.offline_store).toEqual({ type: 'postgres', url: 'postgres://u@h/db' })
    expect(c.online_store).toEqual({ type: 'redis', url: 'redis://h:6379' })
  })

  it('names the file, the field path and what was expected', async () => {
    const file = await write('project: demo\nonline_store: {type: redis}\n')
    const e = await loadConfig(file, {}).catch((x: unknown) => x)
    expect(e).toBeInstanceOf(AppError)
    expect((e as AppError).message).toContain(file)
    expect((e as AppError).message).toMatch(/online_store\.url/)
  })

  it('checks store URLs up front, in the file and in DATABASE_URL / REDIS_URL', async () => {
    const bad = await write('project: demo\noffline_store: {type: postgres, url: not a url}\n')
    await expect(loadConfig(bad, {})).rejects.toThrow(
      /config\.yaml: offline_store\.url: expected a URL starting postgres:\/\/ or postgresql:\/\//,
    )
    const file = await write('project: demo\n')
    await expect(loadConfig(file, { REDIS_URL: 'http://u:secret@x' })).rejects.toThrow(
      'REDIS_URL: expected a URL starting redis:// or rediss:// (got http://u:***@x/)',
    )
    await expect(loadConfig(file, { REDIS_URL: 'redis://h:6379/abc' })).rejects.toThrow(
      'REDIS_URL: expected a database index after the host, e.g. redis://host:6379/0',
    )
    await expect(loadConfig(file, { DATABASE_URL: 'localhost:5432' })).rejects.toThrow(
      /^DATABASE_URL: expected a URL starting postgres:\/\//,
    )
    const ok = await loadConfig(file, {
      DATABASE_URL: 'postgresql://u@h/db',
      REDIS_URL: 'rediss://h/3',
    })
    expect([ok.offline_store, ok.online_store]).toEqual([
      { type: 'postgres', url: 'postgresql://u@h/db' },
      { type: 'redis', url: 'rediss://h/3' },
    ])
  })

  it('rejects an unknown backend type by its field', async () => {
    const file = await write('project: demo\noffline_store: {type: mysql}\n')
    await expect(loadConfig(file, {})).rejects.toThrow(/offline_store\.type/)
  })

  it('reports malformed YAML with its line', async () => {
    const file = await write('project: [demo\n')
    // Position once, in front; not the parser's own trailing "at line 2, column 1:".
    await expect(loadConfig(file, {})).rejects.toThrow(/:\d+:\d+: malformed YAML: [^\n]*[^:\n]$/)
  })

  it('says which file is missing', async () => {
    await expect(loadConfig('/nonexistent/config.yaml', {})).rejects.toThrow(
      /\/nonexistent\/config.yaml: cannot read/,
    )
  })
})
