import { describe, expect, it } from 'vitest'
import { readGoldenModel } from '../../../test/golden/golden-format.js'
import { parseLegacyModel } from './legacy-binary-parser.js'
import { bytesFromMlXgboostJson } from './ml-xgboost-json.js'

describe('bytesFromMlXgboostJson', () => {
  it("recovers the bytes from ml-xgboost's signed byte array", () => {
    const bytes = readGoldenModel('heart')
    const json = {
      name: 'ml-xgboost',
      model: Array.from(new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length)),
      options: {},
    }
    expect(json.model.some((b) => b < 0)).toBe(true)
    const back = bytesFromMlXgboostJson(json)
    expect(back).toEqual(new Uint8Array(bytes))
    expect(parseLegacyModel(back).numTrees).toBe(100)
  })

  it('rejects what is not an ml-xgboost model object', () => {
    const corrupt = expect.objectContaining({ code: 'CORRUPT_MODEL' })
    expect(() => bytesFromMlXgboostJson(null)).toThrow(corrupt)
    expect(() => bytesFromMlXgboostJson({ name: 'other', model: [] })).toThrow(corrupt)
    expect(() => bytesFromMlXgboostJson({ name: 'ml-xgboost', model: 'abc' })).toThrow(corrupt)
    expect(() => bytesFromMlXgboostJson({ name: 'ml-xgboost', model: [1, 300] })).toThrow(
      /model\[1\]/,
    )
    expect(() => bytesFromMlXgboostJson({ name: 'ml-xgboost', model: [1.5] })).toThrow(corrupt)
  })
})
