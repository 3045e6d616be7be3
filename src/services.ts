import path from 'node:path'
import { loadConfig, resolvePath } from './config/load.js'
import type { Config } from './config/schema.js'
import type { AppError } from './core/errors.js'
import { connectDb, type Db } from './db/connect.js'
import { migrateToLatest } from './db/migrate.js'
import { planAgainstDb } from './features/apply.js'
import { loadFeatureRepo } from './features/load.js'
import { requireApplied } from './features/plan.js'
import type { FeatureRepo } from './features/repo.js'
import type { OfflineStore } from './offline/offline-store.js'
import { createPostgresOfflineStore } from './offline/postgres-offline-store.js'
import type { OnlineStore } from './online/online-store.js'
import { openOnlineStore } from './online/open-online-store.js'
import { PostgresWatermarkStore } from './online/postgres-watermark-store.js'
import { MemoryWatermarkStore, type WatermarkStore } from './online/watermark-store.js'

/**
 * The composition root: reads config.yaml once and opens each backend on first use, so a command
 * only connects to what it needs (`ward plan` never touches Redis). `close()` releases all.
 */
export interface Services {
  readonly config: Config
  featureRepo(): Promise<FeatureRepo>
  /**
   * The definitions, checked to be the ones `ward apply` recorded: CONFLICT naming what differs
   * otherwise. Commands that read or write stored rows start here, so a field added to a file but
   * never applied fails with "run ward apply" instead of a missing column deep in SQL.
   */
  appliedRepo(): Promise<FeatureRepo>
  db(): Promise<Db>
  offline(): Promise<OfflineStore>
  online(): Promise<OnlineStore>
  watermarks(): Promise<WatermarkStore>
  /** UNAVAILABLE naming the offline store when `e` says its server went away; else undefined. */
  explainFailure(e: unknown): AppError | undefined
  close(): Promise<void>
}

export const openServices = async (
  configFile: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<Services> => {
  const config = await loadConfig(configFile, env)
  const closers: (() => Promise<void>)[] = []
  const once = <T>(open: () => Promise<T>): (() => Promise<T>) => {
    let p: Promise<T> | undefined
    return () => {
      p ??= open()
      return p
    }
  }
  let opened: Db | undefined
  const db = once(async () => {
    const handle = await connectDb(
      config.offline_store.type === 'pglite'
        ? { type: 'pglite', path: resolvePath(config, config.offline_store.path) }
        : config.offline_store,
    )
    closers.push(() => handle.close())
    opened = handle
    await migrateToLatest(handle)
    return handle
  })
  const online = once(async () => {
    const store = await openOnlineStore(config)
    closers.push(() => store.close())
    return store
  })
  const featuresDir = resolvePath(config, config.features_dir)
  // Messages name files as the user would type them: relative to where ward runs.
  const featuresShown = path.relative(process.cwd(), featuresDir) || '.'
  const featureRepo = once(() => loadFeatureRepo(featuresDir, featuresShown))
  return {
    config,
    featureRepo,
    appliedRepo: once(async () => {
      const repo = await featureRepo()
      requireApplied(await planAgainstDb(await db(), repo), featuresShown)
      return repo
    }),
    db,
    offline: once(async () => createPostgresOfflineStore(await db())),
    online,
    // Watermarks say what is online; an online store that forgets on exit must not have them
    // outlive it, or `materialize-incremental` would skip rows that are gone.
    watermarks: once(async () =>
      config.online_store.type === 'memory' && config.online_store.path === undefined
        ? new MemoryWatermarkStore()
        : new PostgresWatermarkStore(await db()),
    ),
    explainFailure: (e) => opened?.explainFailure(e),
    close: async () => {
      // Last opened, first closed.
      for (const close of closers.reverse()) await close()
    },
  }
}

/** Runs `work` with services and always closes them. */
export const withServices = async <T>(
  configFile: string,
  env: Readonly<Record<string, string | undefined>>,
  work: (s: Services) => Promise<T>,
): Promise<T> => {
  const services = await openServices(configFile, env)
  try {
    return await work(services)
  } catch (e) {
    // A server that went away mid-command is named as such, not reported as a bug.
    throw services.explainFailure(e) ?? e
  } finally {
    await services.close()
  }
}
