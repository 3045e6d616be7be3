import { isAbsolute, resolve } from 'node:path'
import type { Config } from '../config/schema.js'
import { MemoryOnlineStore } from './memory-online-store.js'
import type { OnlineStore } from './online-store.js'
import { RedisOnlineStore } from './redis-online-store.js'

/**
 * Opens the configured online store. `REDIS_URL` in `env` overrides `online_store` (a Redis URL
 * wins over a memory store too); a memory snapshot path resolves against the config's folder.
 */
export const openOnlineStore = async (
  config: Pick<Config, 'project' | 'online_store' | 'rootDir'>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<OnlineStore> => {
  const url = env.REDIS_URL || (config.online_store.type === 'redis' ? config.online_store.url : '')
  if (url) return RedisOnlineStore.connect(url, { project: config.project })
  const path = config.online_store.type === 'memory' ? config.online_store.path : undefined
  return MemoryOnlineStore.open(
    path === undefined ? {} : { path: isAbsolute(path) ? path : resolve(config.rootDir, path) },
  )
}
