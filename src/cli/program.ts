import { Command, CommanderError } from 'commander'
import { type GlobalOptions, reportFailure } from './output.js'

/** A command module: adds itself to the program. */
export type CommandModule = (program: Command, globals: () => GlobalOptions) => void

/**
 * Builds the `ward` program from command modules. Kept apart from the process entry so tests run
 * commands in-process with `runCli`.
 */
export const buildProgram = (modules: CommandModule[]): Command => {
  const program = new Command('ward')
    .description('Ward: feature definitions → offline/online stores → governed, explained models')
    .option('-c, --config <file>', 'path to config.yaml', 'config.yaml')
    .option('--json', 'machine-readable output on stdout', false)
    .showHelpAfterError('(run `ward --help` for the commands)')
    .exitOverride()
  const globals = (): GlobalOptions => program.opts<GlobalOptions>()
  for (const register of modules) register(program, globals)
  return program
}

/** Runs the CLI and returns the exit code instead of exiting, so it can be tested. */
export const runCli = async (modules: CommandModule[], argv: string[]): Promise<number> => {
  const program = buildProgram(modules)
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) })
  try {
    await program.parseAsync(argv, { from: 'user' })
    return 0
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here with exit code 0; usage errors were already printed.
      return e.exitCode
    }
    return reportFailure({ json: argv.includes('--json') }, e)
  }
}
