import { AppError } from '../../core/errors.js'

/** Largest model accepted from a JSON byte array (a 100-tree depth-6 model is ~0.3 MB). */
export const MAX_MODEL_BYTES = 256 * 1024 * 1024

const corrupt = (message: string): never => {
  throw new AppError('CORRUPT_MODEL', message, { field: 'model' })
}

/**
 * The raw legacy model bytes inside ml-xgboost's `toJSON()` object
 * (`{ name: 'ml-xgboost', model: number[], options }`). ml-xgboost copies each byte out with
 * `getValue(ptr, 'i8')`, so `model` holds signed values -128..127; `b & 0xff` recovers the byte.
 * Unsigned 0..255 values (a plain byte array) are accepted too.
 */
export const bytesFromMlXgboostJson = (json: unknown): Uint8Array => {
  if (typeof json !== 'object' || json === null) return corrupt('model JSON is not an object')
  const { name, model } = json as { name?: unknown; model?: unknown }
  if (name !== 'ml-xgboost') return corrupt(`model JSON name is '${String(name)}', not ml-xgboost`)
  if (!Array.isArray(model)) return corrupt('model JSON has no byte array in "model"')
  if (model.length > MAX_MODEL_BYTES) return corrupt(`model has ${model.length} bytes, too many`)
  const out = new Uint8Array(model.length)
  for (let i = 0; i < model.length; i++) {
    const b: unknown = model[i]
    if (typeof b !== 'number' || !Number.isInteger(b) || b < -128 || b > 255) {
      return corrupt(`model[${i}] is not a byte`)
    }
    out[i] = b & 0xff
  }
  return out
}
