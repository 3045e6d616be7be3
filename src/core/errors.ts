/** Every failure the platform reports on purpose carries one of these codes. */
export type ErrorCode =
  | 'VALIDATION'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'UNAVAILABLE'
  | 'UNSUPPORTED'
  | 'CORRUPT_MODEL'
  | 'INTERNAL'

/**
 * An expected, explainable failure. `message` is one line a user can act on; `field` names the
 * input (file, field path, column) when there is one.
 */
export class AppError extends Error {
  readonly code: ErrorCode
  readonly field: string | undefined
  /** Everything behind the message, for programs (e.g. every bad cell of a rejected file). */
  readonly details: unknown
  /**
   * Every problem, one line each, for people: the message names the first few, the CLI prints
   * all of them under it.
   */
  readonly report: readonly string[]

  constructor(
    code: ErrorCode,
    message: string,
    options: {
      field?: string
      details?: unknown
      report?: readonly string[]
      cause?: unknown
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'AppError'
    this.code = code
    this.field = options.field
    this.details = options.details
    this.report = options.report ?? []
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError
