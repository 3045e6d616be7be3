import type { Field, StoredView } from '../../features/schema.js'
import type { FeatureRow, FeatureValue } from '../offline-store.js'

/** A view definition for tests, with the schema's defaults filled in. */
export const testView = (
  name: string,
  fields: readonly { name: string; type: Field['type'] }[],
  options: { ttl?: number; entity?: string; kind?: 'feature' | 'label' } = {},
): StoredView => ({
  name,
  entity: options.entity ?? 'patient',
  source: 'test_source',
  ttl: options.ttl ?? 0,
  kind: options.kind ?? 'feature',
  fields: fields.map(
    (f): Field =>
      f.type === 'categorical'
        ? { name: f.name, type: 'categorical', values: ['a'], nullable: true, missing_values: [] }
        : f.type === 'bool'
          ? {
              name: f.name,
              type: 'bool',
              nullable: true,
              missing_values: [],
              true_values: ['1'],
              false_values: ['0'],
            }
          : { name: f.name, type: f.type, nullable: true, missing_values: [] },
  ),
})

/**
 * Each field type's edge values, null included: what round trips through the stores must keep
 * exactly (floats that need 17 digits, the largest safe ints, quotes, control characters, emoji).
 */
export const EDGE_VALUES: Record<Field['type'], readonly FeatureValue[]> = {
  int: [0, -1, 2 ** 53 - 1, -(2 ** 53 - 1), 42, null],
  float: [0.1, 0.1 + 0.2, 1e21, 1e-7, 5e-324, -123.456, 1.7976931348623157e308, null],
  bool: [true, false, null],
  categorical: ['a', null],
  string: ['', 'a"b\\c\n\t/', 'é 😀 x', 'null', '{"a":1}', '\u0001\u001f\u007f', null],
}

const BASE = Date.UTC(2024, 0, 1)

/** A time `minutes` after 2024-01-01T00:00Z. */
export const at = (minutes: number): Date => new Date(BASE + minutes * 60_000)

/** A feature row at minute `event` (created at minute `created`, or none). */
export const row = (
  entityKey: string,
  event: number,
  values: Record<string, FeatureValue>,
  created?: number,
): FeatureRow => ({
  entityKey,
  eventTs: at(event),
  createdTs: created === undefined ? null : at(created),
  values,
})
