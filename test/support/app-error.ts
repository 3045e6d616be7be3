import { isAppError } from '../../src/core/errors.js'

/**
 * Runs `f` and describes how it failed: `CODE: message` for an AppError, `no error` when it
 * returned; anything else is rethrown, so a crash never passes for an expected failure.
 */
export const appErrorOf = (f: () => unknown): string => {
  try {
    f()
  } catch (e) {
    if (!isAppError(e)) throw e
    return `${e.code}: ${e.message}`
  }
  return 'no error'
}
