import { describe, expect, it } from 'vitest'
import { trainBooster } from './ml-xgboost-adapter.js'
import { loadMlXgboost, wasmHeapStats } from './ml-xgboost-module.js'

// Its own file, so this process's WASM arena has not been stretched by big trainings first:
// the arena top (sbrk(0)) only moves when live blocks no longer fit in freed space.

const lcg = (seed: number) => {
  let s = seed
  return () => {
    s = (s * 16_807) % 2_147_483_647
    return s / 2_147_483_647
  }
}

const rows = 300
const cols = 5
const rnd = lcg(3)
const matrix = Float32Array.from({ length: rows * cols }, rnd)
const labels = Float32Array.from({ length: rows }, (_, r) =>
  (matrix[r * cols] as number) + (matrix[r * cols + 1] as number) > 1 ? 1 : 0,
)
const small = { matrix, labels, rows, cols }
const params = { max_depth: 3 }

describe('WASM memory', () => {
  it('loading the module leaves no emscripten uncaughtException listener behind', async () => {
    const before = process.listenerCount('uncaughtException')
    await loadMlXgboost()
    expect(process.listenerCount('uncaughtException')).toBe(before)
  })

  it('does not grow while training 200 models in a loop', async () => {
    const m = await loadMlXgboost()
    for (let i = 0; i < 20; i++) await trainBooster({ ...small, params, numRounds: 5 })
    const before = wasmHeapStats(m)
    for (let i = 0; i < 200; i++) await trainBooster({ ...small, params, numRounds: 5 })
    const after = wasmHeapStats(m)
    // dlmalloc reuses freed blocks, so the arena top stays put when nothing leaks (measured: at
    // most 8 KB over 300 models, from fragmentation). One unfreed booster costs about 38 KB.
    expect(after.arenaTop - before.arenaTop).toBeLessThan(64 * 1024)
    expect(after.memoryBytes).toBe(before.memoryBytes)
  })

  it('the same measure does see a leak (control: 60 boosters never freed)', async () => {
    const m = await loadMlXgboost()
    const before = wasmHeapStats(m)
    const setParam = m.cwrap('set_param', null, ['number', 'string', 'string'])
    for (let i = 0; i < 60; i++) {
      const data = m._malloc(small.matrix.byteLength)
      m.HEAPF32.set(small.matrix, data >> 2)
      const labels = m._malloc(small.labels.byteLength)
      m.HEAPF32.set(small.labels, labels >> 2)
      const booster = m._create_model(data, labels, small.rows, small.cols)
      setParam(booster, 'max_depth', '3')
      m._train_full_model(booster, 5)
      m._free(data)
      m._free(labels)
    }
    // The first few fit into freed space; the rest push the top up by about 38 KB each.
    expect(wasmHeapStats(m).arenaTop - before.arenaTop).toBeGreaterThan(64 * 1024)
  })
})
