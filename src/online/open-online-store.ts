import { isAbsolute, resolve } from 'node:path'
import type { Config } from '../config/schema.js'
import { MemoryOnlineStore } from './memory-online-store.js'
import type { OnlineStore } from './online-store.js'

/**
 * Opens the configured online store (`loadConfig` has already let `REDIS_URL` override it); a
 * memory snapshot path resolves against the config's folder.
 */
export const openOnlineStore = async (
  config: Pick<Config, 'project' | 'online_store' | 'rootDir'>,
): Promise<OnlineStore> => {
  if (config.online_store.type === 'redis') {
    // Loaded only for Redis: ioredis is start-up time the in-process store does not need.
    const { RedisOnlineStore } = await import('./redis-online-store.js')
    return RedisOnlineStore.connect(config.online_store.url, { project: config.project })
  }
  const path = config.online_store.path
  return MemoryOnlineStore.open(
    path === undefined ? {} : { path: isAbsolute(path) ? path : resolve(config.rootDir, path) },
  )
}
