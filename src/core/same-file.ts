import { stat } from 'node:fs/promises'
import { AppError } from './errors.js'

/**
 * Refuses an output path that names the input file (the same path, a link to it, or another
 * spelling of it): the output would be truncated while the input is still being read, losing
 * most of it. A missing output or input is left to whoever opens it.
 */
export const refuseOutputOverInput = async (
  input: string,
  output: string,
  /** The option that named the output, for the message. */
  option: string,
): Promise<void> => {
  const [a, b] = await Promise.all([
    stat(input).catch(() => undefined),
    stat(output).catch(() => undefined),
  ])
  if (a && b && a.dev === b.dev && a.ino === b.ino) {
    throw new AppError(
      'VALIDATION',
      `${option} ${output} is the input file ${input}; writing it would destroy the input. Choose another path`,
      { field: option },
    )
  }
}
