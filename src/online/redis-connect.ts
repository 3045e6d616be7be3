import { Redis } from 'ioredis'
import { AppError } from '../core/errors.js'
import { redactUrl } from '../core/redact.js'

/** The slice of an ioredis client the online store uses, so tests can pass a fake. */
export interface RedisLike {
  evalsha(sha: string, numKeys: number, ...args: (string | Buffer)[]): Promise<unknown>
  script(subcommand: 'LOAD', script: string): Promise<unknown>
  ping(): Promise<unknown>
  quit(): Promise<unknown>
}

/** What key clean-up needs (tests, bench). */
export interface RedisScanLike {
  scan(
    cursor: string,
    match: 'MATCH',
    pattern: string,
    count: 'COUNT',
    n: number,
  ): Promise<[string, string[]]>
  unlink(...keys: string[]): Promise<number>
}

/** A connected ioredis client, typed by the slices above. */
export type RedisClient = RedisLike & RedisScanLike

/** `Redis at redis://:***@host:6379/`, for messages. */
export const describeRedis = (url: string): string => `Redis at ${redactUrl(url)}`

/**
 * Connects with bounded patience: a 2 s connect timeout, at most 3 reconnect attempts and one
 * retry per command, so a dead Redis fails a CLI run in seconds instead of hanging. Fails with
 * UNAVAILABLE naming the URL without its password.
 */
export const connectRedis = async (url: string): Promise<RedisClient> => {
  let client: Redis
  try {
    client = newClient(url)
  } catch (e) {
    throw new AppError('VALIDATION', `${describeRedis(url)}: not a valid Redis URL`, {
      field: 'online_store.url',
      cause: e,
    })
  }
  // Without a listener ioredis prints every reconnect error; failures surface through commands.
  // The last one is kept: once retries run out ioredis only says "Connection is closed", and
  // the socket's own reason (ECONNREFUSED, ENOTFOUND, a TLS or auth error) is what helps.
  let lastError: unknown
  client.on('error', (e: unknown) => {
    lastError = e
  })
  try {
    await client.connect()
    await client.ping()
  } catch (e) {
    client.disconnect()
    throw unavailable(
      describeRedis(url),
      lastError ?? e,
      ' (start it, or set REDIS_URL / online_store.url to one that runs)',
    )
  }
  await checkDatabase(client, url)
  return client
}

/**
 * Confirms the URL's database index: ioredis selects it on connect, but when the server refuses
 * (an index past its `databases` setting) it goes on in database 0, where reads would find
 * nothing and writes would land among another database's keys.
 */
const checkDatabase = async (client: Redis, url: string): Promise<void> => {
  const db = client.options.db ?? 0
  if (db === 0) return
  try {
    await client.select(db)
  } catch (e) {
    client.disconnect()
    throw new AppError(
      'VALIDATION',
      `${describeRedis(url)}: database ${db} cannot be selected (${e instanceof Error ? e.message : String(e)}); use an index below the server's \`databases\` setting (16 by default)`,
      { field: 'online_store.url', cause: e },
    )
  }
}

const newClient = (url: string): Redis =>
  new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt: number) => (attempt > 3 ? null : 100 * attempt),
  })

/** UNAVAILABLE naming the target (`describeRedis(url)`), keeping the cause. */
export const unavailable = (target: string, e: unknown, hint = ''): AppError =>
  new AppError(
    'UNAVAILABLE',
    `${target} is not answering: ${e instanceof Error ? e.message : String(e)}${hint}`,
    { field: 'online_store.url', cause: e },
  )

/** Deletes every key matching `pattern` (SCAN + UNLINK, never KEYS); returns how many. */
export const deleteRedisKeys = async (client: RedisScanLike, pattern: string): Promise<number> => {
  let cursor = '0'
  let deleted = 0
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
    if (keys.length > 0) deleted += await client.unlink(...keys)
    cursor = next
  } while (cursor !== '0')
  return deleted
}
