/**
 * ISO 8601 date-times as sources write them: `2024-03-01`, `2024-03-01T08:30`, `…:05`, `…:05.123`,
 * with `T` or a space, and an optional zone `Z`, `+02:00` or `+0200`. **No zone means UTC**: the
 * platform never depends on the machine's time zone. Out-of-range parts (month 13, 30 February,
 * hour 24) are rejected rather than rolled over as `Date` would. Years are read as written
 * (proleptic Gregorian calendar); the instant, in UTC, must lie in the years 0001–9999, the range
 * whose ISO text Postgres reads back (it has no year 0, and `toISOString` writes year 10000 as
 * `+010000`). Fractions beyond milliseconds are dropped (JavaScript dates hold milliseconds),
 * the same way for stored rows and entity rows, so comparisons between them stay consistent.
 */
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/

/** The instant, or undefined when `text` is not such a date-time. */
export const parseTimestamp = (text: string): Date | undefined => {
  const m = ISO.exec(text)
  if (!m) return undefined
  const [y, mo, d, h = 0, mi = 0, s = 0] = m
    .slice(1, 7)
    .map((p) => (p === undefined ? 0 : Number(p)))
  const ms = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0
  if (y === undefined || mo === undefined || d === undefined) return undefined
  // setUTCFullYear, unlike Date.UTC, takes years 0-99 literally instead of as 1900-1999.
  const check = new Date(0)
  check.setUTCFullYear(y, mo - 1, d)
  check.setUTCHours(h, mi, s, ms)
  const local = check.getTime()
  if (
    check.getUTCFullYear() !== y ||
    check.getUTCMonth() !== mo - 1 ||
    check.getUTCDate() !== d ||
    check.getUTCHours() !== h ||
    check.getUTCMinutes() !== mi ||
    check.getUTCSeconds() !== s
  ) {
    return undefined
  }
  const offset = zoneOffsetMs(m[8])
  if (offset === undefined) return undefined
  const at = local - offset
  return at < FIRST_INSTANT || at > LAST_INSTANT ? undefined : new Date(at)
}

const FIRST_INSTANT = Date.parse('0001-01-01T00:00:00.000Z')
const LAST_INSTANT = Date.parse('9999-12-31T23:59:59.999Z')

const zoneOffsetMs = (zone: string | undefined): number | undefined => {
  if (!zone || zone === 'Z') return 0
  const sign = zone.startsWith('-') ? -1 : 1
  const digits = zone.slice(1).replace(':', '')
  const hours = Number(digits.slice(0, 2))
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0
  if (hours > 23 || minutes > 59) return undefined
  return sign * (hours * 60 + minutes) * 60_000
}
