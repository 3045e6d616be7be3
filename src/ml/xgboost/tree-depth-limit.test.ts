import { describe, expect, it } from 'vitest'
import { readGoldenModel } from '../../../test/golden/golden-format.js'
import { isAppError } from '../../core/errors.js'
import { parseLegacyModel } from './legacy-binary-parser.js'
import { writeModelJson } from './model-json.js'
import { readModelJson } from './model-json-read.js'
import { predictMargins } from './predict.js'
import { chainEnsemble, legacyBytesFromEnsemble } from './test-support/legacy-model-writer.js'
import { MAX_TREE_DEPTH } from './tree-depth-limit.js'

const unsupportedMessage = (f: () => unknown): string => {
  try {
    f()
  } catch (e) {
    if (!isAppError(e)) throw e
    expect(e.code).toBe('UNSUPPORTED')
    return e.message
  }
  throw new Error('expected AppError UNSUPPORTED')
}

describe('legacy writer (test support) against the parser', () => {
  it.each(['heart-multi', 'pima-pruned'])('%s: parse(write(parse(bytes))) is the same', (name) => {
    const m = parseLegacyModel(readGoldenModel(name))
    expect(parseLegacyModel(legacyBytesFromEnsemble(m))).toEqual(m)
  })
})

describe('tree depth bound', () => {
  it('is documented well above the depth training allows (max_depth ≤ 20)', () => {
    expect(MAX_TREE_DEPTH).toBe(64)
  })

  it('accepts a chain exactly at the bound and predicts with it', () => {
    const chain = chainEnsemble(MAX_TREE_DEPTH)
    const m = parseLegacyModel(legacyBytesFromEnsemble(chain))
    expect(m).toEqual(chain)
    expect(readModelJson(writeModelJson(chain))).toEqual(chain)
    expect(predictMargins(m, Float32Array.of(9, 9, 9), 1)[0]).toBe(0.5)
  })

  it.each([MAX_TREE_DEPTH + 1, 20_000])(
    'the legacy parser refuses a chain of depth %i, naming tree and depth',
    (depth) => {
      const bytes = legacyBytesFromEnsemble(chainEnsemble(depth))
      const message = unsupportedMessage(() => parseLegacyModel(bytes))
      expect(message).toContain(`tree 0 has depth ${depth}`)
      expect(message).toContain(`${MAX_TREE_DEPTH}`)
    },
  )

  it.each([MAX_TREE_DEPTH + 1, 20_000])(
    'the JSON reader refuses a chain of depth %i, naming tree and depth',
    (depth) => {
      const text = writeModelJson(chainEnsemble(depth))
      const message = unsupportedMessage(() => readModelJson(text))
      expect(message).toContain(`trees[0] has depth ${depth}`)
      expect(message).toContain(`${MAX_TREE_DEPTH}`)
    },
  )

  it('names the offending tree among shallow ones', () => {
    const deep = chainEnsemble(70)
    const shallow = chainEnsemble(3)
    const offset = shallow.left.length
    const shift = (a: Int32Array) => a.map((v) => (v === -1 ? -1 : v + offset))
    const both = {
      ...deep,
      numTrees: 2,
      treeOffset: Int32Array.from([0, offset, offset + deep.left.length]),
      treeGroup: new Int32Array(2),
      treeDepth: Int32Array.from([3, 70]),
      left: Int32Array.from([...shallow.left, ...shift(deep.left)]),
      right: Int32Array.from([...shallow.right, ...shift(deep.right)]),
      feature: Int32Array.from([...shallow.feature, ...deep.feature]),
      threshold: Float32Array.from([...shallow.threshold, ...deep.threshold]),
      defaultLeft: Uint8Array.from([...shallow.defaultLeft, ...deep.defaultLeft]),
      leafValue: Float32Array.from([...shallow.leafValue, ...deep.leafValue]),
      cover: Float32Array.from([...shallow.cover, ...deep.cover]),
    }
    expect(unsupportedMessage(() => parseLegacyModel(legacyBytesFromEnsemble(both)))).toContain(
      'tree 1 has depth 70',
    )
  })
})
