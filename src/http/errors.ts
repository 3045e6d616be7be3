import { z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
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

/** An error response of the shared shape, for the OpenAPI document. */
export const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: ErrorSchema } },
})

/** Bodies above this are refused with 413 before they are read whole (1,000 long keys fit). */
export const MAX_BODY_BYTES = 2 << 20

/**
 * The client's mistakes Hono itself detects (a body that is not JSON, another content type, a
 * body over the limit) as the shared error body with their 4xx status, not as internal errors.
 */
const clientMistake = (e: HTTPException, c: Context): Response => {
  const { status } = e
  const [message, field] =
    status === 415
      ? ['content-type must be application/json', 'content-type']
      : status === 413
        ? [`body larger than ${MAX_BODY_BYTES} bytes`, '(body)']
        : /json/i.test(e.message)
          ? ['body is not valid JSON', '(body)']
          : [e.message, undefined]
  return c.json({ error: { code: 'VALIDATION', message, field } }, status as ContentfulStatusCode)
}

/** Turns any thrown value into the error body; unexpected errors never leak their details. */
export const handleError = (e: unknown, c: Context): Response => {
  if (e instanceof HTTPException && e.status >= 400 && e.status < 500) return clientMistake(e, c)
  const error = isAppError(e) ? e : new AppError('INTERNAL', 'internal error')
  if (!isAppError(e)) console.error(e)
  return c.json(
    { error: { code: error.code, message: error.message, field: error.field } },
    codeToStatus(error.code),
  )
}

/**
 * No route for the request: 405 with `Allow` when the path exists under other methods, else 404;
 * both with the shared error body (Hono's default is plain text).
 */
export const handleNoRoute = (
  routes: readonly { path: string; method: string }[],
  c: Context,
): Response => {
  const allowed = [
    ...new Set(
      routes.filter((r) => r.path === c.req.path && r.method !== 'ALL').map((r) => r.method),
    ),
  ]
  if (allowed.length > 0) {
    c.header('Allow', allowed.join(', '))
    return c.json(
      {
        error: {
          code: 'VALIDATION',
          message: `${c.req.method} is not allowed on ${c.req.path} (allowed: ${allowed.join(', ')})`,
          field: 'method',
        },
      },
      405,
    )
  }
  return c.json(
    { error: { code: 'NOT_FOUND', message: `no route ${c.req.method} ${c.req.path}` } },
    404,
  )
}
