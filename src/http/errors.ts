import { z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { AppError, type ErrorCode, isAppError } from '../core/errors.js'

/** The one error body every route returns. */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'VALIDATION' }),
      message: z.string().openapi({ example: "unknown feature 'heart:cholesterol'" }),
      field: z.string().optional(),
    }),
  })
  .openapi('Error')

/** The only place error codes map to HTTP statuses. */
export const codeToStatus = (code: ErrorCode): ContentfulStatusCode => {
  switch (code) {
    case 'VALIDATION':
      return 400
    case 'NOT_FOUND':
      return 404
    case 'CONFLICT':
      return 409
    case 'UNSUPPORTED':
      return 422
    case 'UNAVAILABLE':
      return 503
    case 'CORRUPT_MODEL':
    case 'INTERNAL':
      return 500
  }
}

/** Turns any thrown value into the error body; unexpected errors never leak their details. */
export const handleError = (e: unknown, c: Context): Response => {
  const error = isAppError(e) ? e : new AppError('INTERNAL', 'internal error')
  if (!isAppError(e)) console.error(e)
  return c.json(
    { error: { code: error.code, message: error.message, field: error.field } },
    codeToStatus(error.code),
  )
}
