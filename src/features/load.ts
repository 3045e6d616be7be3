import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { AppError } from '../core/errors.js'
import { parseYamlText } from '../core/yaml-file.js'
import { buildFeatureRepo, type FeatureRepo, type LoadedFeatureFile } from './repo.js'
import { featureFileSchema } from './schema.js'

/**
 * Reads every `*.yaml` / `*.yml` file directly in `dir` (not sub-folders), sorted by name so the
 * repo is the same on every machine. Files are reported as `displayDir/name` (by default `dir`
 * relative to the working directory), e.g. `features/heart.yaml`.
 */
export const loadFeatureFiles = async (
  dir: string,
  displayDir: string = path.relative(process.cwd(), dir) || '.',
): Promise<LoadedFeatureFile[]> => {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (e) {
    throw new AppError(
      'NOT_FOUND',
      `${displayDir}: cannot read the features folder (${(e as Error).message})`,
      {
        field: displayDir,
        cause: e,
      },
    )
  }
  const yamlNames = names.filter((n) => /\.ya?ml$/.test(n)).sort()
  if (yamlNames.length === 0) {
    throw new AppError('NOT_FOUND', `${displayDir}: no *.yaml feature definitions found`, {
      field: displayDir,
    })
  }
  const out: LoadedFeatureFile[] = []
  for (const name of yamlNames) {
    const file = `${displayDir}/${name}`
    const text = await readFile(path.join(dir, name), 'utf8')
    out.push({ file, content: parseYamlText(file, text, featureFileSchema) })
  }
  return out
}

/** `loadFeatureFiles` then `buildFeatureRepo`: the repo the CLI works with. */
export const loadFeatureRepo = async (dir: string, displayDir?: string): Promise<FeatureRepo> =>
  buildFeatureRepo(await loadFeatureFiles(dir, displayDir))
