import { afterEach, describe, expect, it } from 'vitest'
import { AppError } from '../core/errors.js'
import type { TrainBoosterRequest } from './ml-xgboost-adapter.js'
import { createTrainingPool, type TrainingPool } from './worker-pool.js'

const lcg = (seed: number) => {
  let s = seed
  return () => {
    s = (s * 16_807) % 2_147_483_647
    return s / 2_147_483_647
  }
}

const job = (
  rows: number,
  cols: number,
  numRounds: number,
  extra: Partial<TrainBoosterRequest> = {},
) => {
  const rnd = lcg(11)
  const matrix = Float32Array.from({ length: rows * cols }, rnd)
  const labels = Float32Array.from({ length: rows }, (_, r) =>
    (matrix[r * cols] as number) + (matrix[r * cols + 1] as number) > 1 ? 1 : 0,
  )
  return { matrix, labels, rows, cols, numRounds, params: { max_depth: 3 }, ...extra }
}

const withNaN = (): TrainBoosterRequest => {
  const j = job(200, 3, 2)
  j.matrix[4] = Number.NaN
  return j
}

const fixture = (name: string) => new URL(`./test-support/${name}-train-worker.ts`, import.meta.url)

let pool: TrainingPool | undefined
afterEach(async () => {
  await pool?.close()
  pool = undefined
})

describe('training worker pool', () => {
  it('trains in a worker and passes validation errors back as AppErrors', async () => {
    pool = createTrainingPool({ size: 1 })
    const result = await pool.train(job(300, 3, 3))
    expect(result.modelBytes.length).toBeGreaterThan(136)
    const error = await pool
      .train(job(300, 3, 3, { params: { booster: 'dart' } as never }))
      .catch((e) => e)
    expect(error).toBeInstanceOf(AppError)
    expect(error).toMatchObject({ code: 'UNSUPPORTED', field: 'booster' })
  })

  it('runs two trainings at the same time on two threads', async () => {
    pool = createTrainingPool({ size: 2 })
    const heavy = job(20_000, 10, 15, { params: { tree_method: 'exact', max_depth: 5 } })
    const [a, b] = await Promise.all([pool.train(heavy), pool.train(heavy)])
    expect(a.run.threadId).not.toBe(b.run.threadId)
    expect(a.run.startedAtMs).toBeLessThan(b.run.finishedAtMs)
    expect(b.run.startedAtMs).toBeLessThan(a.run.finishedAtMs)
    expect(Buffer.from(a.modelBytes).equals(Buffer.from(b.modelBytes))).toBe(true)
  })

  it('survives XGBoost throwing inside the WASM: the job fails, a fresh worker takes the next', async () => {
    pool = createTrainingPool({ size: 1, workerUrl: fixture('nan-feeding') })
    const first = await pool.train(job(200, 3, 2))
    const error = await pool.train(withNaN()).catch((e) => e)
    expect(error).toBeInstanceOf(AppError)
    expect(error.code).toBe('INTERNAL')
    expect(error.message).toMatch(/NAN in the matrix/)
    const next = await pool.train(job(200, 3, 2))
    expect(next.run.threadId).not.toBe(first.run.threadId)
    expect(Buffer.from(next.modelBytes).equals(Buffer.from(first.modelBytes))).toBe(true)
  })

  it('survives a worker killed by an uncaught WASM failure', async () => {
    pool = createTrainingPool({ size: 1, workerUrl: fixture('dying') })
    const first = await pool.train(job(200, 3, 2))
    const error = await pool.train(withNaN()).catch((e) => e)
    expect(error).toBeInstanceOf(AppError)
    expect(error.message).toMatch(/training worker (crashed|exited)/)
    const next = await pool.train(job(200, 3, 2))
    expect(next.run.threadId).not.toBe(first.run.threadId)
  })

  it('rejects a job that runs past the timeout and keeps serving', async () => {
    // Far beyond the limit: ~1 s per round on this data. The limit leaves room for the small job
    // plus a fresh worker's start-up (loading tsx and the WASM), which takes seconds on 2 busy cores.
    pool = createTrainingPool({ size: 1, jobTimeoutMs: 8_000 })
    const slow = job(50_000, 20, 300, { params: { tree_method: 'exact', max_depth: 8 } })
    await expect(pool.train(slow)).rejects.toMatchObject({ code: 'UNAVAILABLE' })
    await expect(pool.train(job(100, 3, 1))).resolves.toHaveProperty('modelBytes')
  })

  it('rejects queued jobs on close', async () => {
    pool = createTrainingPool({ size: 1 })
    const running = pool.train(job(300, 3, 3)).catch((e: unknown) => e)
    const queued = pool.train(job(300, 3, 3)).catch((e: unknown) => e)
    await pool.close()
    expect(await running).toMatchObject({ code: 'UNAVAILABLE' })
    expect(await queued).toMatchObject({ code: 'UNAVAILABLE' })
    await expect(pool.train(job(300, 3, 3))).rejects.toMatchObject({ code: 'UNAVAILABLE' })
  })
})
