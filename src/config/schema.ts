import { z } from 'zod'

/** A URL whose scheme is one of `schemes`, checked here rather than at the first connection. */
const urlWithScheme = (schemes: readonly string[]) =>
  z
    .string()
    .min(1)
    .refine(
      (u) => {
        try {
          return schemes.includes(new URL(u).protocol.replace(/:$/, ''))
        } catch {
          return false
        }
      },
      { message: `expected a URL starting ${schemes.map((x) => `${x}://`).join(' or ')}` },
    )

/** `config.yaml`: the project and which backends its stores use. */
/** The store URLs config.yaml and DATABASE_URL / REDIS_URL may give. */
export const postgresUrlSchema = urlWithScheme(['postgres', 'postgresql'])
export const redisUrlSchema = urlWithScheme(['redis', 'rediss']).refine(
  // ioredis reads the path as the database index; anything but digits crashed it at connect.
  (u) => {
    try {
      return /^\/?(\d+)?$/.test(new URL(u).pathname)
    } catch {
      return true // not a URL at all: the scheme check says so
    }
  },
  { message: 'expected a database index after the host, e.g. redis://host:6379/0' },
)

export const offlineStoreConfigSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('pglite'), path: z.string().min(1).default('.ward/pglite') }),
  z.strictObject({ type: z.literal('postgres'), url: postgresUrlSchema }),
])

export const onlineStoreConfigSchema = z.discriminatedUnion('type', [
  /** In-process store; with `path` it keeps a snapshot on disk between CLI runs. */
  z.strictObject({ type: z.literal('memory'), path: z.string().min(1).optional() }),
  z.strictObject({ type: z.literal('redis'), url: redisUrlSchema }),
])

export const configSchema = z.strictObject({
  project: z.string().regex(/^[a-z][a-z0-9_-]*$/, 'lower-case letters, digits, - and _'),
  /** Folder of `*.yaml` feature definitions, relative to config.yaml. */
  features_dir: z.string().min(1).default('features'),
  /** Where trained model artifacts are written, relative to config.yaml. */
  artifacts_dir: z.string().min(1).default('.ward/artifacts'),
  offline_store: offlineStoreConfigSchema.default({ type: 'pglite', path: '.ward/pglite' }),
  online_store: onlineStoreConfigSchema.default({ type: 'memory' }),
  /** Model specs; filled in by the training work. Kept open here so the file validates today. */
  models: z.array(z.record(z.string(), z.unknown())).default([]),
})

export type OfflineStoreConfig = z.infer<typeof offlineStoreConfigSchema>
export type OnlineStoreConfig = z.infer<typeof onlineStoreConfigSchema>
export type Config = z.infer<typeof configSchema> & {
  /** Absolute folder of config.yaml; relative paths above resolve against it. */
  rootDir: string
}
