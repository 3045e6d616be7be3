import { AppError } from '../core/errors.js'
import { parseTimestamp } from '../features/timestamp.js'

/**
 * An ISO 8601 timestamp option (no zone = UTC) or `now` (the current time), or a clear error
 * naming the option.
 */
export const timestampOption = (name: string, text: string): Date => {
  if (text.trim().toLowerCase() === 'now') return new Date()
  const d = parseTimestamp(text)
  if (!d) {
    throw new AppError(
      'VALIDATION',
      `--${name}: '${text}' is not an ISO 8601 timestamp (or \`now\`)`,
      { field: name },
    )
  }
  return d
}

/** A comma-separated list option, trimmed, without empty entries. */
export const listOption = (text: string): string[] =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
