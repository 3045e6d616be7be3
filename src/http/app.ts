import { isUtf8 } from 'node:buffer'
import { OpenAPIHono } from '@hono/zod-openapi'
import { bodyLimit } from 'hono/body-limit'
import { HTTPException } from 'hono/http-exception'
import { AppError } from '../core/errors.js'
import type { Services } from '../services.js'
import type { AppEnv } from './env.js'
import { handleError, handleNoRoute, MAX_BODY_BYTES } from './errors.js'
import { registerFeatureViews } from './routes/feature-views.js'
import { registerHealth } from './routes/health.js'
import { registerOnlineFeatures } from './routes/online-features.js'

/**
 * The HTTP API. Routes hold no business logic: they validate, call the stage functions through
 * the services and shape the answer. Tested with `app.request()`, no port needed.
 */
export const newApp = (services: Services): OpenAPIHono<AppEnv> => {
  const app = new OpenAPIHono<AppEnv>({
    // A request that fails its schema gets the same error body as everything else.
    defaultHook: (result, c) => {
      if (!result.success) {
        const issue = result.error.issues[0]
        const field = issue?.path.join('.') || '(body)'
        return c.json(
          {
            error: {
              code: 'VALIDATION',
              message: `${field}: ${issue?.message ?? 'invalid'}`,
              field,
            },
          },
          400,
        )
      }
      return undefined
    },
  })
  app.use(async (c, next) => {
    c.set('services', services)
    await next()
  })
  app.use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new HTTPException(413)
      },
    }),
  )
  // The CLI refuses files that are not UTF-8; a body is held to the same rule, since decoding
  // would turn each bad byte into U+FFFD and look up keys nobody sent.
  app.use(async (c, next) => {
    if (c.req.method === 'POST' && !isUtf8(await c.req.arrayBuffer())) {
      throw new AppError('VALIDATION', 'body is not valid UTF-8', { field: '(body)' })
    }
    await next()
  })
  app.onError(handleError)
  app.notFound((c) => handleNoRoute(app.routes, c))
  registerHealth(app)
  registerFeatureViews(app)
  registerOnlineFeatures(app)
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Ward API',
      version: '0.1.0',
      description:
        'Feature store reads for now; explained predictions, governance and audit come with later issues.',
    },
  })
  return app
}
