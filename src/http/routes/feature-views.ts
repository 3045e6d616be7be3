import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import type { AppEnv } from '../env.js'
import { errorResponse } from '../errors.js'

const ViewSchema = z
  .object({
    name: z.string(),
    kind: z.enum(['feature', 'label']),
    entity: z.string(),
    source: z.string(),
    ttlSeconds: z.number().int(),
    fields: z.array(z.object({ name: z.string(), type: z.string(), nullable: z.boolean() })),
  })
  .openapi('FeatureView')

const route = createRoute({
  method: 'get',
  path: '/v1/feature-views',
  summary: 'The feature and label views defined in features/*.yaml',
  responses: {
    200: {
      description: 'Every view',
      content: { 'application/json': { schema: z.object({ views: z.array(ViewSchema) }) } },
    },
    500: errorResponse(
      'Internal error, e.g. definitions that no longer load (details in the server log)',
    ),
  },
})

export const registerFeatureViews = (app: OpenAPIHono<AppEnv>): void => {
  app.openapi(route, async (c) => {
    const repo = await c.get('services').featureRepo()
    const views = repo.views.map((v) => ({
      name: v.name,
      kind: v.kind,
      entity: v.entity,
      source: v.source,
      ttlSeconds: v.ttl,
      fields: v.fields.map((f) => ({ name: f.name, type: f.type, nullable: f.nullable })),
    }))
    return c.json({ views }, 200)
  })
}
