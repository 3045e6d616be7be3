import { createHash } from 'node:crypto'
import canonicalize from 'canonicalize'
import { AppError } from '../core/errors.js'

/**
 * A definition as stored in `feature_definitions.spec`: plain JSON, with `undefined` members
 * dropped, so a definition read back from jsonb compares equal to the one in the files.
 */
export const toSpec = (def: object): Record<string, unknown> =>
  JSON.parse(JSON.stringify(def)) as Record<string, unknown>

/**
 * sha256 (hex) of the RFC 8785 canonical JSON of a definition: key order and number formatting do
 * not change it, so a jsonb round trip keeps the hash.
 */
export const contentHash = (def: object): string => {
  const text = canonicalize(toSpec(def))
  if (text === undefined) throw new AppError('INTERNAL', 'definition is not serializable as JSON')
  return createHash('sha256').update(text).digest('hex')
}
