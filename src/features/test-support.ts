import { buildFeatureRepo, type FeatureRepo } from './repo.js'
import { type FeatureFile, featureFileSchema } from './schema.js'

/** Parses a features file written as a plain object (defaults filled in by zod). For tests. */
export const featureFile = (input: unknown): FeatureFile => featureFileSchema.parse(input)

/** A small valid definitions file: one entity, one CSV source, one feature and one label view. */
export const clinicFile = (): Record<string, unknown> => ({
  entities: [{ name: 'patient', join_key: 'patient_id' }],
  sources: [
    {
      name: 'clinic',
      entity_columns: { patient_id: 'pid' },
      event_timestamp: { column: 'ts' },
      missing_values: ['', '?'],
    },
  ],
  feature_views: [
    {
      name: 'vitals',
      entity: 'patient',
      source: 'clinic',
      ttl: '30d',
      fields: [
        { name: 'age', type: 'int', nullable: false },
        { name: 'chol', type: 'float', missing_values: ['0'] },
        { name: 'smoker', type: 'bool' },
        { name: 'grade', type: 'categorical', values: ['low', 'high', 'None'] },
        { name: 'note', column: 'Note', type: 'string' },
      ],
    },
  ],
  label_views: [
    {
      name: 'outcome',
      entity: 'patient',
      source: 'clinic',
      fields: [{ name: 'event', type: 'int', nullable: false }],
    },
  ],
})

/** `buildFeatureRepo` over one parsed file named `features/clinic.yaml`. */
export const repoOf = (input: unknown, file = 'features/clinic.yaml'): FeatureRepo =>
  buildFeatureRepo([{ file, content: featureFile(input) }])
