/**
 * `record[key]` when `key` is the record's own property, else undefined. Field names are user
 * input: a plain `values[name]` for a field named `constructor` or `toString` that a row lacks
 * would read Object.prototype's function instead of "missing".
 */
export const own = <T>(record: Readonly<Record<string, T>>, key: string): T | undefined =>
  Object.hasOwn(record, key) ? record[key] : undefined
