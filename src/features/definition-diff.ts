/**
 * What changed between an applied definition (as stored in `feature_definitions.spec`) and the
 * one in the files, split into compatible changes and breaking ones (pure).
 *
 * Breaking means stored history or trained models would silently change meaning: a field's type
 * changes, a field disappears (a rename looks like remove + add), a view's entity changes, a
 * nullable field becomes required, categorical values are removed, or a name moves between feature
 * and label views. Everything else (new fields, ttl, source, column mapping, missing values,
 * descriptions, new categories) is compatible: it only affects future ingests and joins.
 */
export interface DefinitionDiff {
  changes: string[]
  breaking: string[]
}

/** The parts of a stored field spec the diff reads; stored specs were written by `toSpec`. */
interface FieldSpec {
  name: string
  type?: string
  nullable?: boolean
  values?: string[]
  [key: string]: unknown
}

type Spec = Record<string, unknown>

const show = (v: unknown): string => (v === undefined ? '(none)' : JSON.stringify(v))
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b)

/** `86400` → `1d`; ttl is stored in seconds. */
export const formatDuration = (seconds: unknown): string => {
  if (typeof seconds !== 'number') return show(seconds)
  if (seconds === 0) return '0 (forever)'
  for (const [unit, size] of [
    ['w', 604_800],
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (seconds % size === 0) return `${seconds / size}${unit}`
  }
  return `${seconds}s`
}

/** Top-level keys that differ, for entities and sources (never breaking). */
export const diffPlain = (before: Spec, after: Spec): DefinitionDiff => {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()
  const changes = keys
    .filter((k) => !same(before[k], after[k]))
    .map((k) => `${k}: ${show(before[k])} → ${show(after[k])}`)
  return { changes, breaking: [] }
}

const fieldsOf = (spec: Spec): FieldSpec[] =>
  Array.isArray(spec.fields) ? (spec.fields as FieldSpec[]) : []

/** Diff of two view specs (feature or label views). */
export const diffView = (before: Spec, after: Spec): DefinitionDiff => {
  const changes: string[] = []
  const breaking: string[] = []
  if (!same(before.entity, after.entity)) {
    breaking.push(`entity changed ${show(before.entity)} → ${show(after.entity)}`)
  }
  if (!same(before.source, after.source)) {
    changes.push(`source: ${show(before.source)} → ${show(after.source)}`)
  }
  if (!same(before.ttl, after.ttl)) {
    changes.push(`ttl: ${formatDuration(before.ttl)} → ${formatDuration(after.ttl)}`)
  }
  if (!same(before.description, after.description)) changes.push('description changed')

  const old = new Map(fieldsOf(before).map((f) => [f.name, f]))
  const now = new Map(fieldsOf(after).map((f) => [f.name, f]))
  for (const name of old.keys()) {
    if (!now.has(name)) {
      breaking.push(
        `field '${name}' removed or renamed (stored history and models use it; keep it)`,
      )
    }
  }
  for (const [name, f] of now) {
    const was = old.get(name)
    if (!was) {
      const required = f.nullable === false ? ', not null: rows stored earlier read null' : ''
      changes.push(`+ field '${name}' (${f.type}${required})`)
      continue
    }
    diffField(was, f, changes, breaking)
  }
  const commonOld = [...old.keys()].filter((n) => now.has(n))
  const commonNew = [...now.keys()].filter((n) => old.has(n))
  if (!same(commonOld, commonNew)) changes.push('field order changed')
  return { changes, breaking }
}

const diffField = (was: FieldSpec, f: FieldSpec, changes: string[], breaking: string[]): void => {
  const at = `field '${f.name}'`
  if (was.type !== f.type) {
    breaking.push(`${at} type changed ${was.type} → ${f.type}`)
    return
  }
  if (was.nullable !== false && f.nullable === false) {
    breaking.push(`${at} changed from nullable to not null`)
  } else if (was.nullable === false && f.nullable !== false) {
    changes.push(`${at} is now nullable`)
  }
  if (f.type === 'categorical') {
    const removed = (was.values ?? []).filter((v) => !(f.values ?? []).includes(v))
    const added = (f.values ?? []).filter((v) => !(was.values ?? []).includes(v))
    if (removed.length) breaking.push(`${at} categorical values removed: ${show(removed)}`)
    if (added.length) changes.push(`${at} categorical values added: ${show(added)}`)
  }
  const handled = new Set(['name', 'type', 'nullable', 'values'])
  const keys = [...new Set([...Object.keys(was), ...Object.keys(f)])].filter((k) => !handled.has(k))
  for (const k of keys.sort()) {
    if (!same(was[k], f[k])) changes.push(`${at} ${k}: ${show(was[k])} → ${show(f[k])}`)
  }
}
