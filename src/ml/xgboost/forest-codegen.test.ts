import { describe, expect, it } from 'vitest'
import {
  type GoldenInputs,
  goldenMatrix,
  readGoldenJson,
  readGoldenModel,
} from '../../../test/golden/golden-format.js'
import type { TreeEnsemble } from './ensemble.js'
import { chunkBounds, chunkSource, compiledChunks } from './forest-codegen.js'
import { parseLegacyModel } from './legacy-binary-parser.js'
import { buildEnsemble } from './test-support/ensemble-builder.js'

/**
 * Oracle: the tree semantics written plainly (missing = -1 takes the default branch, else
 * `x < threshold` goes left; leaves summed per group in float32 from 0, in tree order).
 */
const referenceSums = (m: TreeEnsemble, x: Float32Array, s: number): number[] => {
  const acc = new Array<number>(m.numGroup).fill(0)
  for (let t = 0; t < m.numTrees; t++) {
    let n = m.treeOffset[t] as number
    while ((m.left[n] as number) !== -1) {
      const v = x[s + (m.feature[n] as number)] as number
      const goLeft = v === -1 ? m.defaultLeft[n] === 1 : v < (m.threshold[n] as number)
      n = (goLeft ? m.left[n] : m.right[n]) as number
    }
    const g = m.treeGroup[t] as number
    acc[g] = Math.fround((acc[g] as number) + (m.leafValue[n] as number))
  }
  return acc
}

const runChunks = (
  m: TreeEnsemble,
  x: Float32Array,
  s: number,
  branchFree: boolean,
  max: number,
) => {
  const acc = new Float32Array(m.numGroup)
  for (const c of compiledChunks(m, branchFree, max)) c(x, s, acc)
  return Array.from(acc)
}

describe('compiled forest', () => {
  it.each(['heart', 'heart-multi', 'cleveland-shap-bench', 'diabetic'])(
    '%s: every mode and chunk size gives the reference float32 sums bit for bit',
    (name) => {
      const m = parseLegacyModel(readGoldenModel(name))
      const x = goldenMatrix(readGoldenJson<GoldenInputs>(name, 'inputs.json'))
      const rows = Math.min(300, x.length / m.numFeature)
      for (const [branchFree, max] of [
        [true, 1000],
        [false, 1000],
        [true, 1],
        [false, 200],
      ] as const) {
        for (let r = 0; r < rows; r++) {
          const s = r * m.numFeature
          expect(runChunks(m, x, s, branchFree, max)).toEqual(referenceSums(m, x, s))
        }
      }
    },
  )

  const leaf = (v: number) => ({ leaf: v, cover: 1 })
  const split = (feature: number, threshold: number, defaultLeft: boolean, l: object, r: object) =>
    ({ feature, threshold, defaultLeft, cover: 2, left: l, right: r }) as Parameters<
      typeof buildEnsemble
    >[0][number]

  it('routes -1, values equal to the threshold and thresholds at or below -1 as the walk does', () => {
    const trees = [-2, -1, -0.5, 0, 1.5].flatMap((t) =>
      [true, false].map((dl) =>
        split(0, t, dl, split(1, t, !dl, leaf(0.25), leaf(-0)), leaf(Math.fround(0.1))),
      ),
    )
    const m = buildEnsemble(trees, { numFeature: 2 })
    const values = [-3, -2, -1.5, -1, -0.5, 0, 1.5, 2]
    for (const a of values) {
      for (const b of values) {
        const x = Float32Array.of(a, b)
        for (const bf of [true, false])
          expect(runChunks(m, x, 0, bf, 1000)).toEqual(referenceSums(m, x, 0))
      }
    }
  })

  it('splits trees into chunks of at most maxNodes nodes, a bigger tree alone', () => {
    const m = parseLegacyModel(readGoldenModel('heart'))
    const bounds = chunkBounds(m, 100)
    expect(bounds[0]).toBe(0)
    expect(bounds[bounds.length - 1]).toBe(m.numTrees)
    for (let i = 0; i + 1 < bounds.length; i++) {
      const from = bounds[i] as number
      const to = bounds[i + 1] as number
      const nodes = (m.treeOffset[to] as number) - (m.treeOffset[from] as number)
      expect(to > from && (nodes <= 100 || to === from + 1)).toBe(true)
    }
  })

  it('writes only numbers from the ensemble into the source, never the objective', () => {
    const m = { ...parseLegacyModel(readGoldenModel('heart')), objective: 'EVIL_MARKER' }
    expect(chunkSource(m, 0, m.numTrees).source).not.toContain('EVIL_MARKER')
  })
})
