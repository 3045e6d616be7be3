import { AppError } from '../core/errors.js'
import { contentHash, toSpec } from './content-hash.js'
import { diffPlain, diffView } from './definition-diff.js'
import type { FeatureRepo } from './repo.js'

/** The `kind` column of `feature_definitions`. */
export type DefinitionKind = 'entity' | 'source' | 'feature_view' | 'label_view'

/** A row of `feature_definitions` as `ward apply` stored it (spec is the parsed definition). */
export interface AppliedDefinition {
  kind: DefinitionKind
  name: string
  spec: unknown
  content_hash: string
}

/** A definition from the files, ready to be stored. */
export interface DesiredDefinition {
  kind: DefinitionKind
  name: string
  spec: Record<string, unknown>
  contentHash: string
}

/**
 * One object in the plan. `removed` objects are in the database but no longer in the files: they
 * are kept (history stays readable) and never dropped automatically.
 */
export interface PlanItem {
  kind: DefinitionKind
  name: string
  action: 'create' | 'update' | 'unchanged' | 'removed'
  /** Compatible changes, one human line each (empty unless `update`). */
  changes: string[]
  /** Breaking changes, one human line each; any of them makes apply refuse. */
  breaking: string[]
  /** What apply writes, for `create` and `update`. */
  desired: DesiredDefinition | undefined
}

export interface FeaturePlan {
  /** Entities, then sources, then views, each in file order; removed objects last. */
  items: PlanItem[]
  /** Every breaking change as `kind name: what`, for the refusal message. */
  breaking: string[]
}

const viewKind = { feature: 'feature_view', label: 'label_view' } as const

/** The definitions the files describe, with the spec and content hash apply would store. */
export const desiredDefinitions = (repo: FeatureRepo): DesiredDefinition[] => {
  const make = (kind: DefinitionKind, name: string, def: object): DesiredDefinition => {
    const spec = toSpec(def)
    return { kind, name, spec, contentHash: contentHash(spec) }
  }
  return [
    ...repo.entities.map((e) => make('entity', e.name, e)),
    ...repo.sources.map((s) => make('source', s.name, s)),
    ...repo.views.map(({ kind, ...v }) => make(viewKind[kind], v.name, v)),
  ]
}

const isView = (k: DefinitionKind) => k === 'feature_view' || k === 'label_view'

/**
 * Compares the files with what was applied (pure). Objects are matched by (kind, name); a name
 * that moves between feature and label views is a breaking change, since its stored rows would
 * change role.
 */
export const planFeatureRepo = (
  repo: FeatureRepo,
  applied: readonly AppliedDefinition[],
): FeaturePlan => {
  const key = (kind: string, name: string) => `${kind}\u0000${name}`
  const appliedByKey = new Map(applied.map((a) => [key(a.kind, a.name), a]))
  const desired = desiredDefinitions(repo)
  const desiredKeys = new Set(desired.map((d) => key(d.kind, d.name)))
  const items: PlanItem[] = desired.map((d) => {
    const before = appliedByKey.get(key(d.kind, d.name))
    if (!before) {
      const breaking: string[] = []
      const otherKind = d.kind === 'feature_view' ? 'label_view' : 'feature_view'
      if (isView(d.kind) && appliedByKey.has(key(otherKind, d.name))) {
        breaking.push(`was applied as a ${otherKind}; a view cannot change kind`)
      }
      return { kind: d.kind, name: d.name, action: 'create', changes: [], breaking, desired: d }
    }
    if (before.content_hash === d.contentHash) {
      return {
        kind: d.kind,
        name: d.name,
        action: 'unchanged',
        changes: [],
        breaking: [],
        desired: undefined,
      }
    }
    const old = (before.spec ?? {}) as Record<string, unknown>
    const diff = isView(d.kind) ? diffView(old, d.spec) : diffPlain(old, d.spec)
    // Same content, different hash (e.g. stored by an older hashing): still rewrite it.
    const changes =
      diff.changes.length || diff.breaking.length ? diff.changes : ['definition changed']
    return {
      kind: d.kind,
      name: d.name,
      action: 'update',
      changes,
      breaking: diff.breaking,
      desired: d,
    }
  })
  for (const a of applied) {
    if (desiredKeys.has(key(a.kind, a.name))) continue
    items.push({
      kind: a.kind,
      name: a.name,
      action: 'removed',
      changes: [],
      breaking: [],
      desired: undefined,
    })
  }
  const breaking = items.flatMap((i) => i.breaking.map((b) => `${i.kind} ${i.name}: ${b}`))
  return { items, breaking }
}

/** True when apply would write something. */
export const planHasChanges = (plan: FeaturePlan): boolean =>
  plan.items.some((i) => i.action === 'create' || i.action === 'update')

const SYMBOL = { create: '+', update: '~', unchanged: '=', removed: '-' } as const

/**
 * Human text in the style of `terraform plan` / `feast plan`: a summary line, then one line per
 * object that is not unchanged (`unchanged` ones only when `verbose`), changes indented below, and
 * the breaking changes again at the end.
 */
export const formatPlan = (plan: FeaturePlan, options: { verbose?: boolean } = {}): string => {
  const count = (a: PlanItem['action']) => plan.items.filter((i) => i.action === a).length
  const lines = [
    `Plan: ${count('create')} to create, ${count('update')} to update, ${count('unchanged')} unchanged, ${count('removed')} removed from files (kept).`,
  ]
  for (const item of plan.items) {
    if (item.action === 'unchanged' && !options.verbose) continue
    const note =
      item.action === 'removed'
        ? '  (not in the files any more; kept with its data, never dropped automatically)'
        : item.breaking.length
          ? '  (BREAKING)'
          : ''
    lines.push(`  ${SYMBOL[item.action]} ${item.kind} ${item.name}${note}`)
    for (const c of item.changes) lines.push(`      ${c}`)
    for (const b of item.breaking) lines.push(`      ! ${b}`)
  }
  if (plan.breaking.length) {
    lines.push('', `${plan.breaking.length} breaking change(s); apply will refuse:`)
    for (const b of plan.breaking) lines.push(`  ! ${b}`)
    lines.push('Give the changed object a new name instead (e.g. heart_v2) and keep the old one.')
  } else if (!planHasChanges(plan)) {
    lines.push('No changes. The stores match the definitions.')
  }
  return lines.join('\n')
}

/**
 * The CONFLICT error for a plan with breaking changes, or undefined when it has none: the message
 * names the first and lists the rest, `report` has one line per change, and `details` is the
 * plan (with --json, what a script reads). `ward apply` throws it (`lead`: "refusing to apply"),
 * and `ward plan` fails with it after printing the plan, so a script or CI step that checks
 * definitions stops on what apply would refuse.
 */
export const breakingChangeError = (plan: FeaturePlan, lead: string): AppError | undefined => {
  const [first, ...rest] = plan.breaking
  if (first === undefined) return undefined
  const more = rest.length ? ` (+${rest.length} more: ${rest.join('; ')})` : ''
  return new AppError('CONFLICT', `${lead} breaking change: ${first}${more}`, {
    details: plan,
    report: plan.breaking,
  })
}

const KIND_NAME: Record<DefinitionKind, string> = {
  entity: 'entity',
  source: 'source',
  feature_view: 'feature view',
  label_view: 'label view',
}

/**
 * Throws CONFLICT when the files define something `ward apply` has not recorded (pure): stored
 * rows and tables follow the applied definitions, so reading or writing them under others would
 * fail in SQL or mislabel data. Objects only in the database (`removed`) are fine: kept history.
 */
export const requireApplied = (plan: FeaturePlan, featuresDir: string): void => {
  const pending = plan.items.filter((i) => i.action === 'create' || i.action === 'update')
  if (pending.length === 0) return
  const lines = pending.map(
    (i) =>
      `${KIND_NAME[i.kind]} ${i.name}: ${i.action === 'create' ? 'not applied yet' : [...i.breaking, ...i.changes].join('; ') || 'changed'}`,
  )
  const more = lines.length > 1 ? ` (+${lines.length - 1} more)` : ''
  throw new AppError(
    'CONFLICT',
    `${featuresDir}/ differs from the applied definitions: ${lines[0]}${more}; run \`ward plan\`, then \`ward apply\``,
    { details: pending.map(({ kind, name, action }) => ({ kind, name, action })), report: lines },
  )
}
