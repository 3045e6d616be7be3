import { describe, expect, it } from 'vitest'
import { contentHash } from './content-hash.js'
import {
  type AppliedDefinition,
  desiredDefinitions,
  formatPlan,
  planFeatureRepo,
  planHasChanges,
} from './plan.js'
import { clinicFile, repoOf } from './test-support.js'

type Json = ReturnType<typeof clinicFile> & {
  feature_views: (Record<string, unknown> & { fields: Record<string, unknown>[] })[]
}

/** What `ward apply` would have stored for the clinic fixture as edited by `edit`. */
const appliedFrom = (edit: (f: Json) => void = () => {}): AppliedDefinition[] => {
  const f = clinicFile() as Json
  edit(f)
  return desiredDefinitions(repoOf(f)).map((d) => ({
    kind: d.kind,
    name: d.name,
    // As read back from jsonb: keys reordered.
    spec: JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(d.spec).reverse()))),
    content_hash: d.contentHash,
  }))
}

const vitals = (f: Json) => f.feature_views[0] as Json['feature_views'][0]
const field = (f: Json, name: string) =>
  vitals(f).fields.find((x) => x.name === name) as Record<string, unknown>

describe('contentHash', () => {
  it('ignores key order and undefined members, but not values', () => {
    expect(contentHash({ a: 1, b: [1, 2], c: undefined })).toBe(contentHash({ b: [1, 2], a: 1 }))
    expect(contentHash({ a: 1, b: [2, 1] })).not.toBe(contentHash({ a: 1, b: [1, 2] }))
    expect(contentHash({ a: 1 })).toMatch(/^[0-9a-f]{64}$/)
  })
})

describe('planFeatureRepo', () => {
  it('creates everything on an empty database', () => {
    const plan = planFeatureRepo(repoOf(clinicFile()), [])
    expect(plan.items.map((i) => `${i.action} ${i.kind} ${i.name}`)).toEqual([
      'create entity patient',
      'create source clinic',
      'create feature_view vitals',
      'create label_view outcome',
    ])
    expect(planHasChanges(plan)).toBe(true)
    expect(plan.breaking).toEqual([])
  })

  it('is unchanged after a jsonb round trip of what was applied', () => {
    const plan = planFeatureRepo(repoOf(clinicFile()), appliedFrom())
    expect(plan.items.every((i) => i.action === 'unchanged')).toBe(true)
    expect(planHasChanges(plan)).toBe(false)
    expect(formatPlan(plan)).toContain('No changes.')
  })

  it('lists compatible updates: added field, ttl, description, new category, source options', () => {
    const f = clinicFile() as Json
    vitals(f).fields.push({ name: 'bmi', type: 'float' })
    vitals(f).ttl = '90d'
    vitals(f).description = 'now documented'
    field(f, 'grade').values = ['low', 'high', 'None', 'mid']
    field(f, 'age').nullable = true
    ;(f.sources as Record<string, unknown>[])[0] = {
      ...(f.sources as Record<string, unknown>[])[0],
      missing_values: [''],
    }
    const plan = planFeatureRepo(repoOf(f), appliedFrom())
    const byName = new Map(plan.items.map((i) => [i.name, i]))
    expect(plan.breaking).toEqual([])
    expect(byName.get('vitals')?.action).toBe('update')
    expect(byName.get('vitals')?.changes).toEqual([
      'ttl: 30d → 90d',
      'description changed',
      "field 'age' is now nullable",
      `field 'grade' categorical values added: ["mid"]`,
      "+ field 'bmi' (float)",
    ])
    expect(byName.get('clinic')?.changes).toEqual(['missing_values: ["","?"] → [""]'])
    expect(byName.get('outcome')?.action).toBe('unchanged')
  })

  it('flags every breaking change', () => {
    const f = clinicFile() as Json
    field(f, 'chol').type = 'int'
    vitals(f).fields = vitals(f).fields.filter((x) => x.name !== 'note')
    field(f, 'smoker').nullable = false
    field(f, 'grade').values = ['low', 'high']
    f.entities = [...(f.entities as object[]), { name: 'person', join_key: 'person_id' }]
    ;(f.sources as Record<string, unknown>[])[0] = {
      ...(f.sources as Record<string, unknown>[])[0],
      entity_columns: { patient_id: 'pid', person_id: 'pid' },
    }
    vitals(f).entity = 'person'
    const plan = planFeatureRepo(repoOf(f), appliedFrom())
    expect(plan.breaking).toEqual([
      'feature_view vitals: entity changed "patient" → "person"',
      "feature_view vitals: field 'note' removed or renamed (stored history and models use it; keep it)",
      "feature_view vitals: field 'chol' type changed float → int",
      "feature_view vitals: field 'smoker' changed from nullable to not null",
      `feature_view vitals: field 'grade' categorical values removed: ["None"]`,
    ])
    const text = formatPlan(plan)
    expect(text).toContain('~ feature_view vitals  (BREAKING)')
    expect(text).toContain('5 breaking change(s); apply will refuse:')
  })

  it('sees a rename as a removal (breaking) plus an addition', () => {
    const f = clinicFile() as Json
    field(f, 'chol').name = 'cholesterol'
    const plan = planFeatureRepo(repoOf(f), appliedFrom())
    expect(plan.breaking).toEqual([
      "feature_view vitals: field 'chol' removed or renamed (stored history and models use it; keep it)",
    ])
    expect(plan.items.find((i) => i.name === 'vitals')?.changes).toContain(
      "+ field 'cholesterol' (float)",
    )
  })

  it('keeps objects removed from the files, and forbids a view changing kind', () => {
    const f = clinicFile() as Json
    const applied = appliedFrom()
    // The label view becomes a feature view of the same name; the old label row is "removed".
    f.feature_views.push({
      ...(f.label_views as Json['feature_views'])[0],
      fields: [{ name: 'event', type: 'int' }],
    } as Json['feature_views'][0])
    f.label_views = []
    const plan = planFeatureRepo(repoOf(f), applied)
    expect(
      plan.items.filter((i) => i.name === 'outcome').map((i) => `${i.action} ${i.kind}`),
    ).toEqual(['create feature_view', 'removed label_view'])
    expect(plan.breaking).toEqual([
      'feature_view outcome: was applied as a label_view; a view cannot change kind',
    ])
    expect(formatPlan(plan)).toContain('- label_view outcome  (not in the files any more; kept')
  })
})
