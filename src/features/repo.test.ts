import { describe, expect, it } from 'vitest'
import { AppError } from '../core/errors.js'
import { buildFeatureRepo } from './repo.js'
import { clinicFile, featureFile, repoOf } from './test-support.js'

type Json = Record<string, unknown> & {
  entities: Record<string, unknown>[]
  sources: Record<string, unknown>[]
  feature_views: (Record<string, unknown> & { fields: Record<string, unknown>[] })[]
  label_views: Record<string, unknown>[]
}

/** The clinic fixture, edited by `edit`, must fail validation with exactly this message. */
const failsWith = (edit: (f: Json) => void): string => {
  const f = clinicFile() as Json
  edit(f)
  try {
    repoOf(f)
  } catch (e) {
    expect(e).toBeInstanceOf(AppError)
    expect((e as AppError).code).toBe('VALIDATION')
    return (e as AppError).message
  }
  throw new Error('expected a validation error')
}

describe('buildFeatureRepo', () => {
  it('exposes definitions with view kinds and lookups', () => {
    const repo = repoOf(clinicFile())
    expect(repo.views.map((v) => [v.name, v.kind])).toEqual([
      ['vitals', 'feature'],
      ['outcome', 'label'],
    ])
    expect(repo.view('vitals').ttl).toBe(30 * 86_400)
    expect(repo.source('clinic').missing_values).toEqual(['', '?'])
    expect(repo.viewsOfSource('clinic').map((v) => v.name)).toEqual(['vitals', 'outcome'])
    expect(repo.viewsOfSource('other')).toEqual([])
    expect(repo.fileOf('view', 'outcome')).toBe('features/clinic.yaml')
    expect(() => repo.view('vital')).toThrow("unknown view 'vital' (known: vitals, outcome)")
    expect(() => repo.source('x')).toThrow("unknown source 'x' (known: clinic)")
  })

  it('names file and field path for an unknown entity', () => {
    expect(
      failsWith((f) => {
        if (f.feature_views[0]) f.feature_views[0].entity = 'patent'
      }),
    ).toBe("features/clinic.yaml: feature_views.0.entity: unknown entity 'patent' (known: patient)")
  })

  it('rejects an unknown source, and one without a column for the entity key', () => {
    expect(
      failsWith((f) => {
        ;(f.label_views[0] as Json['label_views'][0]).source = 'clinics'
      }),
    ).toBe("features/clinic.yaml: label_views.0.source: unknown source 'clinics' (known: clinic)")
    const msg = failsWith((f) => {
      f.entities.push({ name: 'visit', join_key: 'visit_id' })
      f.label_views[0] = { ...f.label_views[0], entity: 'visit' }
    })
    expect(msg).toBe(
      "features/clinic.yaml: label_views.0.source: source 'clinic' has no column for entity 'visit' (its entity_columns lacks join key 'visit_id')",
    )
  })

  it('rejects entity_columns keyed by an unknown join key or a bad special column', () => {
    expect(
      failsWith((f) => {
        f.sources[0] = { ...f.sources[0], entity_columns: { patient_id: 'pid', pat_id: 'x' } }
      }),
    ).toContain("sources.0.entity_columns.pat_id: unknown join key 'pat_id' (known: patient_id)")
    expect(
      failsWith((f) => {
        f.sources[0] = { ...f.sources[0], entity_columns: { patient_id: '$rownum' } }
      }),
    ).toContain("'$rownum' is not a column")
  })

  it('rejects duplicate names across files and within views', () => {
    const a = featureFile(clinicFile())
    const b = featureFile({ entities: [{ name: 'patient', join_key: 'pid2' }] })
    expect(() =>
      buildFeatureRepo([
        { file: 'features/a.yaml', content: a },
        { file: 'features/b.yaml', content: b },
      ]),
    ).toThrow(
      "features/b.yaml: entities.0.name: duplicate entity 'patient' (also in features/a.yaml)",
    )
    expect(
      failsWith((f) => {
        f.label_views[0] = { ...f.label_views[0], name: 'vitals' }
      }),
    ).toBe(
      "features/clinic.yaml: label_views.0.name: duplicate view 'vitals' (also in features/clinic.yaml)",
    )
    expect(
      failsWith((f) => {
        f.feature_views[0]?.fields.push({ name: 'age', type: 'float' })
      }),
    ).toBe(
      "features/clinic.yaml: feature_views.0.fields.5.name: duplicate field 'age' in view 'vitals'",
    )
    expect(
      failsWith((f) => {
        f.entities.push({ name: 'person', join_key: 'patient_id' })
      }),
    ).toContain("entities.1.join_key: join key 'patient_id' is already used by entity 'patient'")
    expect(
      failsWith((f) => {
        f.entities.push({ name: 'moment', join_key: 'event_timestamp' })
      }),
    ).toContain(
      "entities.1.join_key: join key 'event_timestamp' is the name of the entity files' time column",
    )
  })

  it("rejects field names of the offline tables' key columns, so apply never commits them", () => {
    for (const reserved of ['entity_key', 'event_ts', 'created_ts']) {
      expect(
        failsWith((f) => {
          f.feature_views[0]?.fields.push({ name: reserved, type: 'string' })
        }),
      ).toBe(
        `features/clinic.yaml: feature_views.0.fields.5.name: field name '${reserved}' is reserved for a key column of the offline store (entity_key, event_ts, created_ts)`,
      )
    }
    expect(
      failsWith((f) => {
        f.label_views[0] = { ...f.label_views[0], fields: [{ name: 'event_ts', type: 'int' }] }
      }),
    ).toContain("label_views.0.fields.0.name: field name 'event_ts' is reserved")
  })

  it('rejects categorical and bool value lists that make cells ambiguous', () => {
    expect(
      failsWith((f) => {
        f.feature_views[0]?.fields.push({ name: 'g2', type: 'categorical', values: ['a', 'a'] })
      }),
    ).toContain("fields.5.values: value 'a' is listed twice")
    // '?' is a missing value of the source, so a '?' category could never be read.
    expect(
      failsWith((f) => {
        f.feature_views[0]?.fields.push({ name: 'g2', type: 'categorical', values: ['a', '?'] })
      }),
    ).toContain("value '?' is also a missing value for field 'g2'")
    expect(
      failsWith((f) => {
        f.feature_views[0]?.fields.push({
          name: 'b2',
          type: 'bool',
          true_values: ['y'],
          false_values: ['y'],
        })
      }),
    ).toContain("fields.5.true_values: 'y' is both a true and a false value")
  })

  it('counts further problems in the message and lists all of them in details', () => {
    const f = clinicFile() as Json
    f.feature_views[0] = {
      ...f.feature_views[0],
      entity: 'x',
      source: 'y',
      fields: f.feature_views[0]?.fields ?? [],
    }
    try {
      repoOf(f)
      expect.unreachable()
    } catch (e) {
      expect((e as AppError).message).toMatch(/\(\+1 more\)$/)
      expect((e as AppError).details).toHaveLength(2)
    }
  })

  it('zod rejects a categorical field without values before cross-checks', () => {
    const f = clinicFile() as Json
    f.feature_views[0]?.fields.push({ name: 'g2', type: 'categorical', values: [] })
    expect(() => featureFile(f)).toThrow()
  })
})

describe('resolveRefs', () => {
  const repo = repoOf(clinicFile())

  it('groups references by view in order of first mention', () => {
    const r = repo.resolveRefs(['vitals:chol', 'outcome:event', 'vitals:age'])
    expect(r.map((g) => [g.view.name, g.fields])).toEqual([
      ['vitals', ['chol', 'age']],
      ['outcome', ['event']],
    ])
  })

  it('rejects unknown, malformed, duplicate and wrong-kind references clearly', () => {
    expect(() => repo.resolveRefs(['vitals:chol2'])).toThrow(
      "unknown feature 'vitals:chol2' (view vitals has: age, chol, smoker, grade, note)",
    )
    expect(() => repo.resolveRefs(['vital:chol'])).toThrow(
      "unknown feature 'vital:chol': unknown view 'vital' (known: vitals, outcome)",
    )
    expect(() => repo.resolveRefs(['vitals.chol'])).toThrow(
      "malformed feature reference 'vitals.chol'",
    )
    expect(() => repo.resolveRefs(['vitals:age', 'vitals:age'])).toThrow('listed twice')
    expect(() => repo.resolveRefs(['outcome:event'], 'feature')).toThrow(
      "'outcome:event': view outcome is a label view, not a feature view",
    )
  })
})
