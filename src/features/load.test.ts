import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppError } from '../core/errors.js'
import { loadFeatureFiles, loadFeatureRepo } from './load.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ward-features-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const folder = async (name: string, files: Record<string, string>): Promise<string> => {
  const d = path.join(dir, name)
  await mkdir(d)
  for (const [file, text] of Object.entries(files)) await writeFile(path.join(d, file), text)
  return d
}

const entityYaml = 'entities:\n  - { name: patient, join_key: patient_id }\n'
const viewYaml = `sources:
  - name: clinic
    entity_columns: { patient_id: pid }
    event_timestamp: { column: ts }
feature_views:
  - name: vitals
    entity: patient
    source: clinic
    fields: [{ name: age, type: int }]
`

describe('loadFeatureFiles', () => {
  it('reads *.yaml and *.yml sorted by name, skipping other files, and cross-references them', async () => {
    const d = await folder('ok', { 'b.yml': viewYaml, 'a.yaml': entityYaml, 'notes.txt': 'x: [' })
    const files = await loadFeatureFiles(d, 'features')
    expect(files.map((f) => f.file)).toEqual(['features/a.yaml', 'features/b.yml'])
    const repo = await loadFeatureRepo(d, 'features')
    expect(repo.view('vitals').kind).toBe('feature')
    expect(repo.fileOf('entity', 'patient')).toBe('features/a.yaml')
  })

  it('names the file and field path of schema and reference errors', async () => {
    const bad = await folder('bad-schema', {
      'heart.yaml': viewYaml.replace('type: int', 'type: integer'),
    })
    await expect(loadFeatureFiles(bad, 'features')).rejects.toThrow(
      /^features\/heart\.yaml: feature_views\.0\.fields\.0\.type: /,
    )
    const ref = await folder('bad-ref', {
      'heart.yaml': entityYaml + viewYaml.replace('entity: patient', 'entity: patent'),
    })
    await expect(loadFeatureRepo(ref, 'features')).rejects.toThrow(
      "features/heart.yaml: feature_views.0.entity: unknown entity 'patent' (known: patient)",
    )
    const noEntity = await folder('no-entity', {
      'heart.yaml': entityYaml + viewYaml.replace('    entity: patient\n', ''),
    })
    await expect(loadFeatureFiles(noEntity, 'features')).rejects.toThrow(
      /^features\/heart\.yaml: feature_views\.0\.entity: .*expected string/,
    )
    const badTtl = await folder('bad-ttl', {
      'heart.yaml':
        entityYaml +
        viewYaml.replace('    entity: patient\n', '    entity: patient\n    ttl: 30\n'),
    })
    await expect(loadFeatureFiles(badTtl, 'features')).rejects.toThrow(
      "features/heart.yaml: feature_views.0.ttl: expected a duration like '30d', '12h', '15m', '45s' or 0",
    )
    const yaml = await folder('bad-yaml', { 'x.yaml': 'entities: [\n' })
    await expect(loadFeatureFiles(yaml, 'features')).rejects.toThrow(
      /^features\/x\.yaml(:\d+:\d+)?: malformed YAML/,
    )
  })

  it('fails with NOT_FOUND for a missing or empty folder', async () => {
    const empty = await folder('empty', {})
    for (const d of [empty, path.join(dir, 'nope')]) {
      const e = await loadFeatureFiles(d, 'features').catch((x: unknown) => x)
      expect(e).toBeInstanceOf(AppError)
      expect((e as AppError).code).toBe('NOT_FOUND')
    }
  })

  it('loads the project features/ folder', async () => {
    const repo = await loadFeatureRepo(
      new URL('../../features', import.meta.url).pathname,
      'features',
    )
    expect(repo.sources.map((s) => s.name).sort()).toEqual([
      'diabetic_encounters',
      'heart_cleveland',
      'heart_uci',
      'pima',
      'synthetic_labs',
      'synthetic_outcomes',
      'synthetic_visits',
    ])
    expect(repo.views.filter((v) => v.kind === 'label').map((v) => v.name)).toEqual([
      'cleveland_diagnosis',
      'readmission',
      'heart_diagnosis',
      'pima_outcome',
      'synthetic_outcome',
    ])
  })
})
