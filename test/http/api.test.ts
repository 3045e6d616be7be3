import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newApp } from '../../src/http/app.js'
import { openServices, type Services } from '../../src/services.js'
import { makeProject, runWard } from '../cli/run-ward.js'

describe('HTTP API on the bootstrapped demo', () => {
  let services: Services
  let app: ReturnType<typeof newApp>

  beforeAll(async () => {
    const dir = await makeProject()
    const boot = await runWard(dir, ['demo', '--no-serve', '--patients', '60', '--json'])
    expect(boot.code).toBe(0)
    services = await openServices(path.join(dir, 'config.yaml'), {})
    app = newApp(services)
  })
  afterAll(async () => {
    await services?.close()
  })

  it('reports health of both stores', async () => {
    const res = await app.request('/healthz')
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({
      status: 'ok',
      checks: { offline_store: { ok: true }, online_store: { ok: true } },
    })
  })

  it('serves online features with a status per entity', async () => {
    const res = await app.request('/v1/online-features', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        features: ['synthetic_vitals:age', 'synthetic_labs:hba1c'],
        entities: ['SYN-00001', 'nobody'],
      }),
    })
    expect(res.status).toBe(200)
    const body = (await res.json()) as {
      views: { view: string; entities: { status: string; values?: Record<string, unknown> }[] }[]
    }
    expect(body.views.map((v) => v.view)).toEqual(['synthetic_vitals', 'synthetic_labs'])
    const vitals = body.views[0]?.entities ?? []
    expect(['present', 'stale']).toContain(vitals[0]?.status)
    if (vitals[0]?.status === 'present') expect(typeof vitals[0].values?.age).toBe('number')
    else expect(vitals[0]?.values).toBeUndefined()
    expect(vitals[1]).toEqual({ status: 'not_found', entityKey: 'nobody' })
  })

  it('names an unknown feature with 400 and the shared error body', async () => {
    const res = await app.request('/v1/online-features', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ features: ['synthetic_vitals:weight'], entities: ['SYN-00001'] }),
    })
    expect(res.status).toBe(400)
    const body = (await res.json()) as { error: { code: string; message: string } }
    expect(body.error.code).toBe('VALIDATION')
    expect(body.error.message).toMatch(/weight/)
  })

  it('rejects a malformed body naming the field', async () => {
    const res = await app.request('/v1/online-features', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ features: [], entities: ['x'] }),
    })
    expect(res.status).toBe(400)
    const body = (await res.json()) as { error: { field: string } }
    expect(body.error.field).toBe('features')
  })

  const post = (body: string, contentType = 'application/json') =>
    app.request('/v1/online-features', {
      method: 'POST',
      headers: { 'content-type': contentType },
      body,
    })
  const errorOf = async (res: Response) =>
    ((await res.json()) as { error: { code: string; message: string; field?: string } }).error

  it('answers client mistakes Hono detects with a 4xx and the shared error body', async () => {
    const broken = await post('{"features":[')
    expect(broken.status).toBe(400)
    expect(await errorOf(broken)).toEqual({
      code: 'VALIDATION',
      message: 'body is not valid JSON',
      field: '(body)',
    })
    const ok = JSON.stringify({ features: ['synthetic_vitals:age'], entities: ['SYN-00001'] })
    const plain = await post(ok, 'text/plain')
    expect(plain.status).toBe(415)
    expect(await errorOf(plain)).toEqual({
      code: 'VALIDATION',
      message: 'content-type must be application/json',
      field: 'content-type',
    })
    const latin1 = await app.request('/v1/online-features', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.concat([
        Buffer.from('{"features":["synthetic_vitals:age"],"entities":["M'),
        Buffer.from([0xfc]),
        Buffer.from('ller"]}'),
      ]),
    })
    expect(latin1.status).toBe(400)
    expect(await errorOf(latin1)).toEqual({
      code: 'VALIDATION',
      message: 'body is not valid UTF-8',
      field: '(body)',
    })
    const huge = await post(
      JSON.stringify({ features: ['synthetic_vitals:age'], entities: ['x'.repeat(3 << 20)] }),
    )
    expect(huge.status).toBe(413)
    expect(await errorOf(huge)).toMatchObject({ code: 'VALIDATION', field: '(body)' })
  })

  it('refuses unknown body fields, over-long keys and features of different entities', async () => {
    const extra = await post(
      JSON.stringify({ features: ['synthetic_vitals:age'], entities: ['SYN-00001'], at: 'now' }),
    )
    expect(extra.status).toBe(400)
    expect((await errorOf(extra)).message).toMatch(/at/)
    const long = await post(
      JSON.stringify({ features: ['synthetic_vitals:age'], entities: ['k'.repeat(1025)] }),
    )
    expect(long.status).toBe(400)
    expect((await errorOf(long)).field).toBe('entities.0')
    const mixed = await post(
      JSON.stringify({ features: ['synthetic_vitals:age', 'heart:age'], entities: ['1'] }),
    )
    expect(mixed.status).toBe(400)
    expect(await errorOf(mixed)).toMatchObject({
      field: 'features',
      message: expect.stringMatching(
        /features must share one entity \(synthetic_vitals → synthetic_patient, heart → /,
      ),
    })
    const unknown = await post(
      JSON.stringify({ features: ['synthetic_vitals:age', 'nope:x'], entities: ['1'] }),
    )
    expect((await errorOf(unknown)).field).toBe('features.1')
  })

  it('answers an unknown route with 404 and a known path with another method with 405', async () => {
    const missing = await app.request('/nope')
    expect(missing.status).toBe(404)
    expect((await errorOf(missing)).code).toBe('NOT_FOUND')
    const wrong = await app.request('/v1/online-features')
    expect(wrong.status).toBe(405)
    expect(wrong.headers.get('allow')).toBe('POST')
    expect((await errorOf(wrong)).message).toBe(
      'GET is not allowed on /v1/online-features (allowed: POST)',
    )
  })

  it('lists the feature views and publishes an OpenAPI document', async () => {
    const views = (await (await app.request('/v1/feature-views')).json()) as {
      views: { name: string; ttlSeconds: number }[]
    }
    expect(views.views.find((v) => v.name === 'synthetic_labs')?.ttlSeconds).toBe(180 * 86_400)
    const doc = (await (await app.request('/openapi.json')).json()) as { paths: object }
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/healthz', '/v1/feature-views', '/v1/online-features']),
    )
  })
})
