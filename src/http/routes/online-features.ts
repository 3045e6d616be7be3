import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import type { AppEnv } from '../env.js'
import { errorResponse, MAX_BODY_BYTES } from '../errors.js'

const ValueSchema = z.union([z.number(), z.string(), z.boolean(), z.null()])

/** Longest entity key accepted: keys are ids, and the reply echoes each one. */
const MAX_KEY_LENGTH = 1024

const RequestSchema = z
  .strictObject({
    features: z
      .array(z.string())
      .min(1)
      .max(1000)
      .openapi({
        description: '`view:feature` references; every view must key on the same entity',
        example: ['synthetic_vitals:age', 'synthetic_labs:hba1c'],
      }),
    entities: z
      .array(z.string().max(MAX_KEY_LENGTH))
      .min(1)
      .max(1000)
      .openapi({ description: 'Keys of that entity', example: ['SYN-00007'] }),
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
    400: errorResponse(
      'Body not JSON or not of the schema (field named), unknown feature reference, or features of views keyed on different entities',
    ),
    413: errorResponse(`Body larger than ${MAX_BODY_BYTES} bytes`),
    415: errorResponse('Content type other than application/json'),
    500: errorResponse('Internal error (details only in the server log)'),
    503: errorResponse('The online store does not answer'),
  },
})

export const registerOnlineFeatures = (app: OpenAPIHono<AppEnv>): void => {
  app.openapi(route, async (c) => {
    const { features, entities } = c.req.valid('json')
    const s = c.get('services')
    const refs = (await s.featureRepo()).resolveOneEntity(features, 'feature')
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
