import path from 'node:path'
import { readYamlFile } from '../core/yaml-file.js'
import { type Config, configSchema } from './schema.js'

/** Environment variables that override config.yaml, so CI and containers need no edits. */
export interface ConfigEnv {
  DATABASE_URL?: string | undefined
  REDIS_URL?: string | undefined
}

/**
 * Reads config.yaml, validates it and applies overrides: `DATABASE_URL` selects the Postgres
 * offline store, `REDIS_URL` the Redis online store.
 */
export const loadConfig = async (file: string, env: ConfigEnv): Promise<Config> => {
  const parsed = await readYamlFile(file, configSchema)
  return applyEnv({ ...parsed, rootDir: path.dirname(path.resolve(file)) }, env)
}

export const applyEnv = (config: Config, env: ConfigEnv): Config => ({
  ...config,
  offline_store: env.DATABASE_URL
    ? { type: 'postgres', url: env.DATABASE_URL }
    : config.offline_store,
  online_store: env.REDIS_URL ? { type: 'redis', url: env.REDIS_URL } : config.online_store,
})

/** Resolves a config-relative path. */
export const resolvePath = (config: Config, p: string): string => path.resolve(config.rootDir, p)
