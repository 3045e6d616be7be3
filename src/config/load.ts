import path from 'node:path'
import type { z } from 'zod'
import { AppError } from '../core/errors.js'
import { redactUrl } from '../core/redact.js'
import { readYamlFile } from '../core/yaml-file.js'
import { type Config, configSchema, postgresUrlSchema, redisUrlSchema } from './schema.js'

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
    ? { type: 'postgres', url: checkEnvUrl('DATABASE_URL', env.DATABASE_URL, postgresUrlSchema) }
    : config.offline_store,
  online_store: env.REDIS_URL
    ? { type: 'redis', url: checkEnvUrl('REDIS_URL', env.REDIS_URL, redisUrlSchema) }
    : config.online_store,
})

/** The variable's value when the schema accepts it; VALIDATION naming the variable otherwise. */
const checkEnvUrl = (name: string, value: string, schema: z.ZodType<string>): string => {
  const parsed = schema.safeParse(value)
  if (parsed.success) return parsed.data
  throw new AppError(
    'VALIDATION',
    `${name}: ${parsed.error.issues[0]?.message ?? 'not a valid URL'} (got ${redactUrl(value)})`,
    { field: name },
  )
}

/** Resolves a config-relative path. */
export const resolvePath = (config: Config, p: string): string => path.resolve(config.rootDir, p)
