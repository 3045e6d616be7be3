import { AppError } from '../core/errors.js'
import { checkReferences, type DefinitionIssue } from './cross-check.js'
import type { Entity, FeatureFile, Source, StoredView } from './schema.js'
import { parseFeatureRef } from './schema.js'

/** One parsed `features/*.yaml` file and the name it is reported under. */
export interface LoadedFeatureFile {
  file: string
  content: FeatureFile
}

/** Feature references of one view, in the order they were asked for. */
export interface ResolvedRefs {
  view: StoredView
  fields: string[]
}

/**
 * Every definition of the project after cross-reference checks. Lookups throw NOT_FOUND naming
 * what exists, so CLI arguments get a useful message without extra code.
 */
export interface FeatureRepo {
  readonly entities: readonly Entity[]
  readonly sources: readonly Source[]
  /** Feature and label views, in file order (files sorted by name). */
  readonly views: readonly StoredView[]
  /** File a definition came from, by `${kind}:${name}` (`entity`, `source`, `view`). */
  fileOf(kind: 'entity' | 'source' | 'view', name: string): string | undefined
  entity(name: string): Entity
  source(name: string): Source
  view(name: string): StoredView
  /** Views (both kinds) whose rows come from this source. */
  viewsOfSource(name: string): StoredView[]
  /**
   * `['view:f', …]` grouped by view (views in order of first mention). Rejects malformed,
   * unknown and duplicate references; `kind` restricts to feature or label views.
   */
  resolveRefs(refs: readonly string[], kind?: StoredView['kind']): ResolvedRefs[]
  /**
   * `resolveRefs`, for reads keyed by one list of entity keys (a training set, an online read):
   * VALIDATION unless every view keys on the same entity, since the keys of one entity mean
   * nothing (or another patient) in another's views.
   */
  resolveOneEntity(refs: readonly string[], kind?: StoredView['kind']): ResolvedRefs[]
}

const known = (names: readonly string[]): string => (names.length ? names.join(', ') : 'none')

const lookup = <T extends { name: string }>(items: readonly T[], what: string) => {
  const byName = new Map(items.map((i) => [i.name, i]))
  return (name: string): T => {
    const found = byName.get(name)
    if (!found) {
      throw new AppError(
        'NOT_FOUND',
        `unknown ${what} '${name}' (known: ${known(items.map((i) => i.name))})`,
        { field: name },
      )
    }
    return found
  }
}

/**
 * Builds the repo from parsed files (pure). All cross-file problems — duplicate names, unknown
 * entities or sources, sources that cannot supply a view's entity key, bad categorical or bool
 * value lists, duplicate fields — are collected; the first is thrown as AppError('VALIDATION')
 * naming file and field path, with a count of the rest and all of them in `details`.
 */
export const buildFeatureRepo = (files: readonly LoadedFeatureFile[]): FeatureRepo => {
  const issues: DefinitionIssue[] = checkReferences(files)
  const first = issues[0]
  if (first) {
    const more = issues.length > 1 ? ` (+${issues.length - 1} more)` : ''
    throw new AppError('VALIDATION', `${first.file}: ${first.path}: ${first.message}${more}`, {
      field: `${first.file}:${first.path}`,
      details: issues,
      report: issues.map((i) => `${i.file}: ${i.path}: ${i.message}`),
    })
  }
  const entities = files.flatMap((f) => f.content.entities)
  const sources = files.flatMap((f) => f.content.sources)
  const views: StoredView[] = files.flatMap((f) => [
    ...f.content.feature_views.map((v) => ({ ...v, kind: 'feature' as const })),
    ...f.content.label_views.map((v) => ({ ...v, kind: 'label' as const })),
  ])
  const origin = new Map<string, string>()
  for (const { file, content } of files) {
    for (const e of content.entities) origin.set(`entity:${e.name}`, file)
    for (const s of content.sources) origin.set(`source:${s.name}`, file)
    for (const v of [...content.feature_views, ...content.label_views]) {
      origin.set(`view:${v.name}`, file)
    }
  }
  const view = lookup(views, 'view')
  return {
    entities,
    sources,
    views,
    fileOf: (kind, name) => origin.get(`${kind}:${name}`),
    entity: lookup(entities, 'entity'),
    source: lookup(sources, 'source'),
    view,
    viewsOfSource: (name) => views.filter((v) => v.source === name),
    resolveRefs: (refs, kind) => resolveRefs(refs, view, kind),
    resolveOneEntity: (refs, kind) => requireOneEntity(resolveRefs(refs, view, kind)),
  }
}

const requireOneEntity = (groups: ResolvedRefs[]): ResolvedRefs[] => {
  if (new Set(groups.map((g) => g.view.entity)).size > 1) {
    const list = groups.map((g) => `${g.view.name} → ${g.view.entity}`).join(', ')
    throw new AppError('VALIDATION', `features must share one entity (${list})`, {
      field: 'features',
    })
  }
  return groups
}

const resolveRefs = (
  refs: readonly string[],
  view: (name: string) => StoredView,
  kind: StoredView['kind'] | undefined,
): ResolvedRefs[] => {
  const groups = new Map<string, ResolvedRefs>()
  for (const [i, ref] of refs.entries()) {
    // Where the bad reference is (`features.2`); the message quotes the reference itself.
    const field = `features.${i}`
    const parsed = parseFeatureRef(ref)
    if (!parsed) {
      throw new AppError(
        'VALIDATION',
        `malformed feature reference '${ref}' (expected view:feature)`,
        { field },
      )
    }
    let v: StoredView
    try {
      v = view(parsed.view)
    } catch (e) {
      throw new AppError('VALIDATION', `unknown feature '${ref}': ${(e as Error).message}`, {
        field,
        cause: e,
      })
    }
    if (kind && v.kind !== kind) {
      throw new AppError(
        'VALIDATION',
        `'${ref}': view ${v.name} is a ${v.kind} view, not a ${kind} view`,
        { field },
      )
    }
    if (!v.fields.some((f) => f.name === parsed.feature)) {
      const has = v.fields.map((f) => f.name).join(', ')
      throw new AppError('VALIDATION', `unknown feature '${ref}' (view ${v.name} has: ${has})`, {
        field,
      })
    }
    const group = groups.get(v.name) ?? { view: v, fields: [] }
    if (group.fields.includes(parsed.feature)) {
      throw new AppError('VALIDATION', `feature '${ref}' is listed twice`, { field })
    }
    group.fields.push(parsed.feature)
    groups.set(v.name, group)
  }
  return [...groups.values()]
}
