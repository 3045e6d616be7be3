import { describe, expect, it } from 'vitest'
import { readGoldenModel } from '../../../test/golden/golden-format.js'
import { isAppError } from '../../core/errors.js'
import { mulberry32 } from '../../core/random.js'
import type { TreeEnsemble } from './ensemble.js'
import { parseLegacyModel } from './legacy-binary-parser.js'
import { predict } from './predict.js'

// Seeded so every run mutates the same way.
const prng = mulberry32

const INTERESTING = [0, 1, -1, 2, 3, 7, 0x7fffffff, -0x80000000, 0xffff, 1e6, 0x3f800000]

type Mutation = (b: Uint8Array, rnd: () => number) => Uint8Array

const pick = (n: number, rnd: () => number): number => Math.floor(rnd() * n)
/** Header and first-tree bytes get half of the mutations: that is where counts live. */
const position = (b: Uint8Array, rnd: () => number): number =>
  rnd() < 0.5 ? pick(Math.min(b.length, 700), rnd) : pick(b.length, rnd)

const MUTATIONS: readonly Mutation[] = [
  (b, rnd) => {
    const c = b.slice()
    for (let k = 1 + pick(4, rnd); k > 0; k--) {
      const at = position(c, rnd)
      c[at] = (c[at] as number) ^ (1 << pick(8, rnd))
    }
    return c
  },
  (b, rnd) => {
    const c = b.slice()
    const at = Math.min(position(c, rnd), c.length - 4)
    const v = rnd() < 0.7 ? (INTERESTING[pick(INTERESTING.length, rnd)] as number) : pick(64, rnd)
    new DataView(c.buffer).setInt32(at, v | 0, true)
    return c
  },
  (b, rnd) => b.slice(0, pick(b.length, rnd)),
  (b, rnd) => {
    const at = position(b, rnd)
    const n = 1 + pick(64, rnd)
    const c = new Uint8Array(Math.max(0, b.length - n))
    c.set(b.subarray(0, at))
    c.set(b.subarray(Math.min(b.length, at + n)).subarray(0, c.length - at), at)
    return c
  },
  (b, rnd) => {
    const at = position(b, rnd)
    const extra = Uint8Array.from({ length: 1 + pick(40, rnd) }, () => pick(256, rnd))
    const c = new Uint8Array(b.length + extra.length)
    c.set(b.subarray(0, at))
    c.set(extra, at)
    c.set(b.subarray(at), at + extra.length)
    return c
  },
  (b, rnd) => {
    // Copy a record-sized chunk over another place: plausible-looking but wrong structure.
    const c = b.slice()
    const n = [4, 8, 20, 36, 148][pick(5, rnd)] as number
    const from = pick(b.length - n, rnd)
    c.set(b.subarray(from, from + n), Math.min(position(c, rnd), c.length - n))
    return c
  },
]

/** Checks what consumers rely on without per-node expect() calls (thousands of models). */
const invariantsHold = (m: TreeEnsemble, byteLength: number): boolean => {
  if (m.left.length > byteLength / 36) return false
  for (let t = 0; t < m.numTrees; t++) {
    const from = m.treeOffset[t] as number
    const to = m.treeOffset[t + 1] as number
    if (to <= from) return false
    for (let n = from; n < to; n++) {
      const l = m.left[n] as number
      if (l === -1) continue
      const r = m.right[n] as number
      if (l !== n + 1 || r <= l || r >= to || (m.feature[n] as number) >= m.numFeature) return false
    }
  }
  return true
}

describe('parseLegacyModel fuzz', () => {
  it.each(['pima-pruned', 'heart-multi'])(
    '%s: 2,500 mutated models give a valid ensemble or an AppError, without a hang',
    (name) => {
      const original = readGoldenModel(name)
      const rnd = prng(name.length * 7919)
      const outcomes = { parsed: 0, corrupt: 0, unsupported: 0 }
      const started = performance.now()
      for (let i = 0; i < 2500; i++) {
        const mutated = (MUTATIONS[i % MUTATIONS.length] as Mutation)(original, rnd)
        try {
          const m = parseLegacyModel(mutated)
          expect(invariantsHold(m, mutated.length)).toBe(true)
          try {
            predict(m, new Float32Array(3 * m.numFeature).fill(-1), 3)
          } catch (e) {
            // A mutated objective name is a valid file we cannot predict with.
            expect(e).toMatchObject({ code: 'UNSUPPORTED' })
          }
          outcomes.parsed++
        } catch (e) {
          if (!isAppError(e)) throw e
          if (e.code === 'CORRUPT_MODEL') {
            expect(e.message).toMatch(/at byte \d+/)
            outcomes.corrupt++
          } else {
            expect(e.code).toBe('UNSUPPORTED')
            outcomes.unsupported++
          }
        }
      }
      // Measured: about 600 parse, 1,870 CORRUPT_MODEL, 30 UNSUPPORTED per model.
      expect(outcomes.parsed).toBeGreaterThan(100)
      expect(outcomes.corrupt).toBeGreaterThan(1000)
      // No huge allocation: invariantsHold bounds every parsed model's node arrays by the input's
      // size (36 bytes a node). No hang: one generous bound on the whole run (measured ~1-2 s
      // idle), not a per-mutation time that a loaded shared machine can break.
      expect(performance.now() - started).toBeLessThan(60_000)
    },
  )
})
