import { KEY_COLUMNS } from '../offline/view-tables.js'
import type { FeatureFile, FeatureView, Field } from './schema.js'

/** One problem in the definitions, located by file and zod-style field path. */
export interface DefinitionIssue {
  file: string
  path: string
  message: string
}

/** Entity key taken from the 1-based data row number, for files without an id column. */
export const ROW_NUMBER_COLUMN = '$row'

/** The time column of `ward historical`'s entity files, as in Feast's entity dataframes. */
export const EVENT_TIMESTAMP_COLUMN = 'event_timestamp'

type Files = readonly { file: string; content: FeatureFile }[]

/**
 * The checks zod cannot do because they span objects or files (pure). Returns every issue found,
 * in file order. Entity keys in `sources[].entity_columns` are **join keys** (as in Feast), so
 * two entities may not share one.
 */
export const checkReferences = (files: Files): DefinitionIssue[] => {
  const issues: DefinitionIssue[] = []
  const add = (file: string, path: string, message: string) => issues.push({ file, path, message })

  const entities = firstDefinitions(files, 'entities', 'entity', add)
  const sources = firstDefinitions(files, 'sources', 'source', add)
  const joinKeys = new Map<string, string>()
  for (const { file, content } of files) {
    content.entities.forEach((e, i) => {
      const owner = joinKeys.get(e.join_key)
      if (e.join_key === EVENT_TIMESTAMP_COLUMN) {
        // Entity files hold both columns: one name cannot be the key and the time.
        add(
          file,
          `entities.${i}.join_key`,
          `join key '${e.join_key}' is the name of the entity files' time column; choose another`,
        )
      } else if (owner && owner !== e.name) {
        add(
          file,
          `entities.${i}.join_key`,
          `join key '${e.join_key}' is already used by entity '${owner}'`,
        )
      } else joinKeys.set(e.join_key, e.name)
    })
  }
  const knownKeys = [...joinKeys.keys()].join(', ') || 'none'
  for (const { file, content } of files) {
    content.sources.forEach((s, i) => {
      for (const [key, column] of Object.entries(s.entity_columns)) {
        const at = `sources.${i}.entity_columns.${key}`
        if (!joinKeys.has(key)) add(file, at, `unknown join key '${key}' (known: ${knownKeys})`)
        if (column.startsWith('$') && column !== ROW_NUMBER_COLUMN) {
          add(
            file,
            at,
            `'${column}' is not a column; the only special value is '${ROW_NUMBER_COLUMN}'`,
          )
        }
      }
    })
  }

  const seenViews = new Map<string, string>()
  for (const { file, content } of files) {
    for (const section of ['feature_views', 'label_views'] as const) {
      content[section].forEach((v, i) => {
        const at = `${section}.${i}`
        const other = seenViews.get(v.name)
        if (other) add(file, `${at}.name`, `duplicate view '${v.name}' (also in ${other})`)
        else seenViews.set(v.name, file)
        const entity = entities.get(v.entity)
        if (!entity) {
          add(file, `${at}.entity`, `unknown entity '${v.entity}' (known: ${names(entities)})`)
        }
        const source = sources.get(v.source)
        if (!source) {
          add(file, `${at}.source`, `unknown source '${v.source}' (known: ${names(sources)})`)
        } else if (entity && !(entity.join_key in source.entity_columns)) {
          add(
            file,
            `${at}.source`,
            `source '${v.source}' has no column for entity '${v.entity}' (its entity_columns lacks join key '${entity.join_key}')`,
          )
        }
        checkFields(v, source?.missing_values ?? [], (path, msg) => add(file, `${at}.${path}`, msg))
      })
    }
  }
  return issues
}

const names = (m: Map<string, unknown>): string => [...m.keys()].join(', ') || 'none'

/** First definition per name across files; later ones are reported as duplicates. */
const firstDefinitions = <K extends 'entities' | 'sources'>(
  files: Files,
  section: K,
  what: string,
  add: (file: string, path: string, message: string) => void,
): Map<string, FeatureFile[K][number] & { file: string }> => {
  const out = new Map<string, FeatureFile[K][number] & { file: string }>()
  for (const { file, content } of files) {
    content[section].forEach((d, i) => {
      const other = out.get(d.name)
      if (other)
        add(file, `${section}.${i}.name`, `duplicate ${what} '${d.name}' (also in ${other.file})`)
      else out.set(d.name, { ...d, file })
    })
  }
  return out
}

const RESERVED_FIELD_NAMES: ReadonlySet<string> = new Set(KEY_COLUMNS)

const checkFields = (
  view: FeatureView,
  sourceMissing: readonly string[],
  add: (path: string, message: string) => void,
): void => {
  const seen = new Set<string>()
  view.fields.forEach((f, j) => {
    const at = `fields.${j}`
    if (seen.has(f.name)) add(`${at}.name`, `duplicate field '${f.name}' in view '${view.name}'`)
    seen.add(f.name)
    // Checked here, not only when tables are made: a committed definition cannot be renamed later.
    if (RESERVED_FIELD_NAMES.has(f.name)) {
      add(
        `${at}.name`,
        `field name '${f.name}' is reserved for a key column of the offline store (${KEY_COLUMNS.join(', ')})`,
      )
    }
    const missing = new Set([...sourceMissing, ...f.missing_values])
    for (const [path, message] of valueListIssues(f, missing)) add(`${at}.${path}`, message)
  })
}

/** Value lists that would make some cell ambiguous or some value unreachable. */
const valueListIssues = (f: Field, missing: ReadonlySet<string>): [string, string][] => {
  const out: [string, string][] = []
  const dupes = (list: readonly string[]) => list.filter((v, i) => list.indexOf(v) !== i)
  if (f.type === 'categorical') {
    if (f.values.length === 0) out.push(['values', `categorical field '${f.name}' has no values`])
    for (const d of new Set(dupes(f.values))) out.push(['values', `value '${d}' is listed twice`])
    for (const v of f.values) {
      if (missing.has(v)) {
        out.push([
          'values',
          `value '${v}' is also a missing value for field '${f.name}'; it could never be read`,
        ])
      }
    }
  }
  if (f.type === 'bool') {
    for (const v of f.true_values) {
      if (f.false_values.includes(v))
        out.push(['true_values', `'${v}' is both a true and a false value`])
      if (missing.has(v)) out.push(['true_values', `'${v}' is also a missing value`])
    }
    for (const v of f.false_values) {
      if (missing.has(v)) out.push(['false_values', `'${v}' is also a missing value`])
    }
  }
  return out
}
