import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import type { AppEnv } from '../env.js'
import { ErrorSchema } from '../errors.js'

const ValueSchema = z.union([z.number(), z.string(), z.boolean(), z.null()])

const RequestSchema = z
  .object({
    features: z
      .array(z.string())
      .min(1)
      .openapi({ example: ['synthetic_vitals:age', 'synthetic_labs:hba1c'] }),
    entities: z
      .array(z.string())
      .min(1)
      .max(1000)
      .openapi({ example: ['SYN-00007'] }),
  })
  .openapi('OnlineFeaturesRequest')

const EntityResultSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('present'),
    entityKey: z.string(),
    eventTs: z.string(),
    values: z.record(z.string(), ValueSchema),
  }),
  z.object({ status: z.literal('stale'), entityKey: z.string(), eventTs: z.string() }),
  z.object({ status: z.literal('not_found'), entityKey: z.string() }),
])

const ResponseSchema = z
  .object({
    views: z.array(z.object({ view: z.string(), entities: z.array(EntityResultSchema) })),
  })
  .openapi('OnlineFeaturesResponse')

const route = createRoute({
  method: 'post',
  path: '/v1/online-features',
  summary: 'Latest feature values of some entities, each with its status',
  description:
    'One round trip to the online store for every entity × view. `stale` rows (older than the ' +
    "view's TTL) carry their event time but no values, so they can never be served as fresh.",
  request: { body: { content: { 'application/json': { schema: RequestSchema } }, required: true } },
  responses: {
    200: {
      description: 'Values with statuses',
      content: { 'application/json': { schema: ResponseSchema } },
    },
    400: {
      description: 'Malformed body or unknown feature reference',
      content: { 'application/json': { schema: ErrorSchema } },
    },
    503: {
      description: 'The online store does not answer',
      content: { 'application/json': { schema: ErrorSchema } },
    },
  },
})

export const registerOnlineFeatures = (app: OpenAPIHono<AppEnv>): void => {
  app.openapi(route, async (c) => {
    const { features, entities } = c.req.valid('json')
    const s = c.get('services')
    const refs = (await s.featureRepo()).resolveRefs(features, 'feature')
    const results = await (await s.online()).read(
      refs.map((r) => ({ view: r.view, entityKeys: entities, fields: r.fields })),
      new Date(),
    )
    const views = results.map((v) => ({
      view: v.view,
      entities: v.entities.map((e) =>
        e.status === 'not_found' ? e : { ...e, eventTs: e.eventTs.toISOString() },
      ),
    }))
    return c.json({ views }, 200)
  })
}
