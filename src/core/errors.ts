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
  readonly details: unknown

  constructor(
    code: ErrorCode,
    message: string,
    options: { field?: string; details?: unknown; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'AppError'
    this.code = code
    this.field = options.field
    this.details = options.details
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError
