import { readFile } from 'node:fs/promises'
import { parseDocument } from 'yaml'
import type { z } from 'zod'
import { AppError } from './errors.js'

/**
 * Reads and validates one YAML file against a zod schema. Every failure is one AppError whose
 * message names the file, the field path and what was expected.
 */
export const readYamlFile = async <S extends z.ZodType>(
  file: string,
  schema: S,
): Promise<z.output<S>> => {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (e) {
    throw new AppError('NOT_FOUND', `${file}: cannot read (${(e as Error).message})`, {
      field: file,
      cause: e,
    })
  }
  return parseYamlText(file, text, schema)
}

export const parseYamlText = <S extends z.ZodType>(
  file: string,
  text: string,
  schema: S,
): z.output<S> => {
  const doc = parseDocument(text)
  const yamlError = doc.errors[0]
  if (yamlError) {
    const line = yamlError.linePos?.[0]
    const where = line ? `:${line.line}:${line.col}` : ''
    throw new AppError(
      'VALIDATION',
      // The library's first line ends by repeating the position and pointing at an excerpt.
      `${file}${where}: malformed YAML: ${(yamlError.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:$/, '')}`,
      {
        field: file,
      },
    )
  }
  const parsed = schema.safeParse(doc.toJS() ?? {})
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const path = issue?.path.length ? issue.path.join('.') : '(root)'
    const more = parsed.error.issues.length > 1 ? ` (+${parsed.error.issues.length - 1} more)` : ''
    throw new AppError('VALIDATION', `${file}: ${path}: ${issue?.message ?? 'invalid'}${more}`, {
      field: `${file}:${path}`,
      details: parsed.error.issues,
      report: parsed.error.issues.map(
        (i) => `${file}: ${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`,
      ),
    })
  }
  return parsed.data
}
