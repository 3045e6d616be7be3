import { cp, mkdtemp, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { vi } from 'vitest'
import { COMMANDS } from '../../src/cli/commands.js'
import { runCli } from '../../src/cli/program.js'

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const SHARED_DATA = path.resolve(REPO_ROOT, '..', 'shared', 'data')

export interface WardRun {
  code: number
  stdout: string
  stderr: string
  /** stdout parsed as JSON (for --json runs). */
  json: () => unknown
}

/**
 * Runs `ward <argv>` in-process against a project folder, capturing its output. The environment
 * is exactly `env` for DATABASE_URL/REDIS_URL, so tests never touch the CI servers by accident.
 */
export const runWard = async (
  projectDir: string,
  argv: string[],
  env: { DATABASE_URL?: string; REDIS_URL?: string } = {},
): Promise<WardRun> => {
  let stdout = ''
  let stderr = ''
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    stdout += String(s)
    return true
  })
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    stderr += String(s)
    return true
  })
  const saved = { DATABASE_URL: process.env.DATABASE_URL, REDIS_URL: process.env.REDIS_URL }
  delete process.env.DATABASE_URL
  delete process.env.REDIS_URL
  Object.assign(process.env, env)
  try {
    const code = await runCli(COMMANDS, ['--config', path.join(projectDir, 'config.yaml'), ...argv])
    return { code, stdout, stderr, json: () => JSON.parse(stdout) }
  } finally {
    out.mockRestore()
    err.mockRestore()
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
}

/** A fresh project: the repo's feature definitions and a config with embedded stores in a temp dir. */
export const makeProject = async (): Promise<string> => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ward-cli-'))
  await cp(path.join(REPO_ROOT, 'features'), path.join(dir, 'features'), { recursive: true })
  await writeFile(
    path.join(dir, 'config.yaml'),
    [
      'project: cli-test',
      'offline_store: { type: pglite, path: .ward/pglite }',
      'online_store: { type: memory, path: .ward/online.json }',
      '',
    ].join('\n'),
  )
  return dir
}
