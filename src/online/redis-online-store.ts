import { AppError, isAppError } from '../core/errors.js'
import type { FeatureRow, FieldsJsonRow } from '../offline/offline-store.js'
import type {
  OnlineReadRequest,
  OnlineStore,
  OnlineView,
  OnlineViewResult,
  OnlineWriteReport,
} from './online-store.js'
import {
  connectRedis,
  describeRedis,
  type RedisClient,
  type RedisLike,
  unavailable,
} from './redis-connect.js'
import {
  decodeRedisRow,
  makeFieldsJsonRowText,
  makeRedisRowEncoder,
  ROW_PREFIX,
  ROW_TS_FROM,
  ROW_TS_TO,
} from './redis-row-codec.js'
import { packStringLists } from './string-lists-pack.js'
import { checkEntityKey, EVENT_TS_FIELD, requestedFields } from './value-codec.js'

/**
 * Writes a batch of rows, each only if no later row is stored (docs/ONLINE-STORE.md).
 * ARGV[1]: the rows' keys and their JSON texts (redis-row-codec.ts), in the same order, as two
 * MessagePack lists (string-lists-pack.ts) that Redis's bundled `cmsgpack` unpacks in C: one
 * argument instead of one per key saves the client ~0.3 µs per row (10–20% of a 10-field row's
 * cost) and Redis ~5%. The price: the keys are not declared in `KEYS`. Redis and Valkey run such
 * a script on one server, though their docs ask for declared keys; Redis Cluster cannot route
 * it, and servers that enforce declared keys refuse it (Dragonfly, unless the script's
 * `allow-undeclared-keys` flag below is honoured). See docs/ONLINE-STORE.md.
 * One `MGET` reads every stored row, Lua keeps per key the later of stored and new rows (in
 * batch order, so the later event wins within a batch too), and one `MSET` writes the winners:
 * three commands per batch instead of one or two per row. The script is atomic, so concurrent
 * writers cannot interleave between the read and the write.
 * `MGET` answers nil for a key of another type too; `EXISTS` on the nil keys (usually none
 * exist) finds those: a hash of the old layout (one field per feature and `_ts`) takes part as
 * a row made of its texts, so re-materializing migrates it; anything else fails the batch
 * before it writes. Returns how many rows were written.
 * MSET's arguments are built in batch order (no table of winners). redis-benchmark's own
 * unconditional SET of the same row costs Redis ~1.1 µs against ~1.35 for this script (bench
 * machine, new keys): most of the cost is Redis storing the rows, not the event-time check.
 */
const WRITE_SCRIPT = `--!df flags=allow-undeclared-keys
local batch = cmsgpack.unpack(ARGV[1])
local keys, rows = batch[1], batch[2]
if type(keys) ~= 'table' or type(rows) ~= 'table' or #keys ~= #rows or #keys == 0 then
  return redis.error_reply('ward: a write takes two lists of as many keys as rows')
end
local n = #keys
local stored = redis.call('MGET', unpack(keys))
-- MSET's arguments, in batch order: a key set twice keeps its later value.
local args, a = {}, 0
local absent, migrated = {}, {}
for k = 1, n do
  if not stored[k] then absent[#absent + 1] = keys[k] end
end
if #absent > 0 and redis.call('EXISTS', unpack(absent)) > 0 then
  for k = 1, n do
    if not stored[k] and redis.call('EXISTS', keys[k]) == 1 then
      local ts = redis.call('HGET', keys[k], '${EVENT_TS_FIELD}')
      if not ts then return redis.error_reply('ward: ' .. keys[k] .. ' holds a hash that is not a Ward row') end
      local parts = {'${ROW_PREFIX}', ts, '"'}
      local fields = redis.call('HGETALL', keys[k])
      for i = 1, #fields, 2 do
        if fields[i] ~= '${EVENT_TS_FIELD}' then
          parts[#parts + 1] = ',' .. cjson.encode(fields[i]) .. ':' .. cjson.encode(fields[i + 1])
        end
      end
      parts[#parts + 1] = '}'
      stored[k] = table.concat(parts)
      migrated[keys[k]] = stored[k]
    end
  end
end

-- The rows a key holds after the batch's earlier rows: only keys the batch repeats need it.
local current, written = {}, 0
for k = 1, n do
  local key, row = keys[k], rows[k]
  local old = current[key] or stored[k]
  if old and string.sub(old, 1, ${ROW_PREFIX.length}) ~= '${ROW_PREFIX}' then
    return redis.error_reply('ward: ' .. key .. ' holds a value that is not a Ward row')
  end
  if (not old) or string.sub(old, ${ROW_TS_FROM}, ${ROW_TS_TO}) <= string.sub(row, ${ROW_TS_FROM}, ${ROW_TS_TO}) then
    current[key] = row
    args[a + 1], args[a + 2], a = key, row, a + 2
    written = written + 1
  end
end
-- An old-layout hash no row replaced is rewritten as the row it holds; once per key, so MSET
-- never takes more than two values per row.
for key, row in pairs(migrated) do
  if current[key] == nil then args[a + 1], args[a + 2], a = key, row, a + 2 end
end

if a > 0 then redis.call('MSET', unpack(args, 1, a)) end
return written
`

/**
 * Reads many rows in one call: KEYS are the row keys, the reply their texts (nil when absent).
 * Unlike MGET, a key of another type fails with WRONGTYPE instead of reading as absent, so an
 * unmigrated hash or a foreign key is reported, never served as `not_found`.
 */
const READ_SCRIPT = `
local out = {}
for k = 1, #KEYS do out[k] = redis.call('GET', KEYS[k]) end
return out
`

const SCRIPTS = { write: WRITE_SCRIPT, read: READ_SCRIPT }

const MAX_ROWS_PER_CALL = 2000

export interface RedisOnlineStoreOptions {
  /** Keys are `ward:{project}:{view}:{entityKey}`. */
  project: string
  /**
   * Rows per script call: amortizes per-command cost on both sides. Default 500: measured 5–10%
   * more rows/s than 200 or 1000 (bench/online.bench.ts, 10-field rows).
   */
  rowsPerCall?: number
  /** Script calls sent before waiting for the oldest reply (default 50: ~25,000 rows queued). */
  callsInFlight?: number
}

/**
 * The Redis online store: one string key per view × entity holding the row as readable JSON
 * (redis-row-codec.ts). Writes go through a batch Lua script, many calls in flight; a read of any number
 * of entities × views is one call of a read script, i.e. one round trip.
 */
export class RedisOnlineStore implements OnlineStore {
  private readonly shas = new Map<keyof typeof SCRIPTS, Promise<string>>()
  private readonly prefix: string
  private readonly rowsPerCall: number
  private readonly callsInFlight: number

  constructor(
    private readonly client: RedisLike,
    private readonly target: string,
    options: RedisOnlineStoreOptions,
  ) {
    this.prefix = `ward:${options.project}:`
    // MGET/MSET take the batch through Lua's unpack, which is limited to ~8000 values.
    this.rowsPerCall = Math.min(options.rowsPerCall ?? 500, MAX_ROWS_PER_CALL)
    this.callsInFlight = Math.max(1, options.callsInFlight ?? 50)
  }

  /** Connects to `url` (UNAVAILABLE when Redis does not answer). */
  static async connect(url: string, options: RedisOnlineStoreOptions): Promise<RedisOnlineStore> {
    const client: RedisClient = await connectRedis(url)
    return new RedisOnlineStore(client, describeRedis(url), options)
  }

  /** The key of one entity of one view. */
  key(view: string, entityKey: string): string {
    return `${this.prefix}${view}:${entityKey}`
  }

  write(view: OnlineView, rows: readonly FeatureRow[]): Promise<OnlineWriteReport> {
    return this.writeTexts(view, rows, makeRedisRowEncoder(view))
  }

  writeFieldsJson(view: OnlineView, rows: readonly FieldsJsonRow[]): Promise<OnlineWriteReport> {
    return this.writeTexts(view, rows, makeFieldsJsonRowText(view))
  }

  /** Writes each row's text (`textOf`) under its entity's key, through the write script. */
  private async writeTexts<R extends { entityKey: string }>(
    view: OnlineView,
    rows: readonly R[],
    textOf: (row: R) => string,
  ): Promise<OnlineWriteReport> {
    // Encode (and validate) every row before sending any, so a bad row writes nothing.
    const calls: Buffer[] = []
    for (let i = 0; i < rows.length; i += this.rowsPerCall) {
      const chunk = rows.slice(i, i + this.rowsPerCall)
      const keys = chunk.map((row) => {
        checkEntityKey(view.name, row.entityKey)
        return this.key(view.name, row.entityKey)
      })
      calls.push(packStringLists([keys, chunk.map(textOf)]))
    }
    let written = 0
    const inFlight: Promise<unknown>[] = []
    try {
      for (const batch of calls) {
        if (inFlight.length >= this.callsInFlight) written += Number(await inFlight.shift())
        const p = this.runScript('write', 0, [batch])
        p.catch(() => {}) // Awaited below; this only marks it handled while others run.
        inFlight.push(p)
      }
      while (inFlight.length > 0) written += Number(await inFlight.shift())
    } catch (e) {
      // A failed write returns only once none of its calls is still running, so a caller that
      // re-runs it cannot race its own leftovers.
      await Promise.allSettled(inFlight)
      throw e
    }
    return { written, skippedOlder: rows.length - written }
  }

  /** All requested rows in one script call (one round trip, one reply), decoded by type. */
  async read(requests: readonly OnlineReadRequest[], now: Date): Promise<OnlineViewResult[]> {
    const wanted = requests.map((r) => requestedFields(r.view, r.fields))
    const keys: string[] = []
    for (const { view, entityKeys } of requests) {
      for (const key of entityKeys) {
        checkEntityKey(view.name, key)
        keys.push(this.key(view.name, key))
      }
    }
    const texts = keys.length === 0 ? [] : await this.readRows(keys)
    const nowMs = now.getTime()
    let i = 0
    return requests.map(({ view, entityKeys }, r) => ({
      view: view.name,
      entities: entityKeys.map((key) =>
        decodeRedisRow(view, wanted[r] ?? [], key, texts[i++] ?? null, nowMs),
      ),
    }))
  }

  private async readRows(keys: string[]): Promise<(string | null)[]> {
    const reply = await this.runScript('read', keys.length, keys)
    if (!Array.isArray(reply) || reply.length !== keys.length) {
      throw new AppError('INTERNAL', `${this.target}: the read script answered ${typeof reply}`)
    }
    return reply as (string | null)[]
  }

  async ping(): Promise<void> {
    try {
      await this.client.ping()
    } catch (e) {
      throw this.unavailable(e)
    }
  }

  /** Nothing to do: a write is done when Redis answered it (persistence is Redis's setting). */
  async flush(): Promise<void> {}

  async close(): Promise<void> {
    await this.client.quit().catch(() => {})
  }

  /**
   * One call of a script, reloading it once if Redis forgot it (restart, SCRIPT FLUSH). Each call
   * is its own command, not part of a pipeline: ioredis then copies a call's bytes once (a
   * pipeline concatenates them again), measured ~10% less client CPU per row written.
   */
  private async runScript(
    name: keyof typeof SCRIPTS,
    numKeys: number,
    args: readonly (string | Buffer)[],
    retried = false,
  ): Promise<unknown> {
    const loading = this.scriptSha(name)
    const sha = await loading
    try {
      return await this.client.evalsha(sha, numKeys, ...args)
    } catch (e) {
      if (!retried && isNoScript(e)) {
        // The first call to learn that Redis forgot the script reloads it; the others share that.
        if (this.shas.get(name) === loading) this.shas.delete(name)
        return this.runScript(name, numKeys, args, true)
      }
      throw this.failure(e)
    }
  }

  /** The script's SHA, loaded once and shared by every call waiting for it; a failure is not kept. */
  private scriptSha(name: keyof typeof SCRIPTS): Promise<string> {
    const known = this.shas.get(name)
    if (known) return known
    const loading = this.loadScript(name)
    this.shas.set(name, loading)
    loading.catch(() => {
      if (this.shas.get(name) === loading) this.shas.delete(name)
    })
    return loading
  }

  private async loadScript(name: keyof typeof SCRIPTS): Promise<string> {
    try {
      return String(await this.client.script('LOAD', SCRIPTS[name]))
    } catch (e) {
      throw this.unavailable(e)
    }
  }

  /** A rejected command is INTERNAL (WRONGTYPE: a key in another layout); anything else an outage. */
  private failure(e: unknown): AppError {
    if (e instanceof Error && e.name === 'ReplyError') {
      const hint = e.message.includes('WRONGTYPE')
        ? ' (a key of this store holds another type: a hash from before Ward stored rows as JSON strings is rewritten by the next ward materialize)'
        : ''
      return new AppError('INTERNAL', `${this.target} rejected a command: ${e.message}${hint}`, {
        cause: e,
      })
    }
    return this.unavailable(e)
  }

  private unavailable(e: unknown): AppError {
    return isAppError(e) ? e : unavailable(this.target, e)
  }
}

const isNoScript = (e: unknown): boolean => e instanceof Error && e.message.startsWith('NOSCRIPT')
