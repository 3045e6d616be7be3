import { OpenAPIHono } from '@hono/zod-openapi'
import { bodyLimit } from 'hono/body-limit'
import { HTTPException } from 'hono/http-exception'
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
