import { AppError, isAppError } from '../core/errors.js'

/** Global CLI options every command sees. */
export interface GlobalOptions {
  config: string
  json: boolean
}

/** Writes a command's result: JSON on stdout for scripts, or the human text. */
export const printResult = (opts: GlobalOptions, result: unknown, human: string): void => {
  if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`)
  else if (human) process.stdout.write(human.endsWith('\n') ? human : `${human}\n`)
}

/**
 * Turns any failure into a one-line reason on stderr and a non-zero exit code: 1 for expected
 * failures (bad input, unavailable service), 2 for bugs. When the error lists several problems
 * (every bad row of a rejected file), they follow the reason, one per line, indented. With --json
 * the error is also a JSON object on stdout (with its details) so scripts can read it.
 */
export const reportFailure = (opts: Pick<GlobalOptions, 'json'>, e: unknown): number => {
  const error = isAppError(e) ? e : new AppError('INTERNAL', `internal error: ${describe(e)}`)
  // A single problem is already in the message; a list is printed in full under it.
  const listed = error.report.length > 1 ? error.report : []
  const lines = [`ward: ${error.message.split('\n')[0]}`, ...listed.map((l) => `  ${l}`)]
  process.stderr.write(`${lines.join('\n')}\n`)
  if (process.env.WARD_DEBUG && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`)
  if (opts.json) {
    const { code, message, field, details } = error
    process.stdout.write(`${JSON.stringify({ error: { code, message, field, details } })}\n`)
  }
  return error.code === 'INTERNAL' ? 2 : 1
}

const describe = (e: unknown): string => (e instanceof Error ? e.message : String(e))
