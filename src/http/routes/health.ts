import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import { pingDb } from '../../db/connect.js'
import type { AppEnv } from '../env.js'

const HealthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    checks: z.record(z.string(), z.object({ ok: z.boolean(), message: z.string().optional() })),
  })
  .openapi('Health')

const route = createRoute({
  method: 'get',
  path: '/healthz',
  summary: 'Liveness and readiness: the offline database and the online store answer',
  responses: {
    200: {
      description: 'Every dependency answers',
      content: { 'application/json': { schema: HealthSchema } },
    },
    503: {
      description: 'A dependency does not answer',
      content: { 'application/json': { schema: HealthSchema } },
    },
  },
})

const check = async (probe: () => Promise<void>): Promise<{ ok: boolean; message?: string }> => {
  try {
    await probe()
    return { ok: true }
  } catch (e) {
    return { ok: false, message: e instanceof Error ? e.message : String(e) }
  }
}

export const registerHealth = (app: OpenAPIHono<AppEnv>): void => {
  app.openapi(route, async (c) => {
    const s = c.get('services')
    const checks = {
      offline_store: await check(async () => pingDb(await s.db())),
      online_store: await check(async () => (await s.online()).ping()),
    }
    const ok = Object.values(checks).every((x) => x.ok)
    return c.json({ status: ok ? ('ok' as const) : ('degraded' as const), checks }, ok ? 200 : 503)
  })
}
