import { Command, CommanderError } from 'commander'
import { AppError } from '../core/errors.js'
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
    // Usage errors are reported by runCli like every other failure (one line, JSON with --json);
    // help text, also when shown for a bare `ward`, still goes to stderr as commander writes it.
    // Set before the commands are added: they copy it.
    .configureOutput({ writeErr: (s) => process.stderr.write(s), outputError: () => {} })
    .exitOverride()
  const globals = (): GlobalOptions => program.opts<GlobalOptions>()
  for (const register of modules) register(program, globals)
  return program
}

/** Runs the CLI and returns the exit code instead of exiting, so it can be tested. */
export const runCli = async (modules: CommandModule[], argv: string[]): Promise<number> => {
  const program = buildProgram(modules)
  const json = argv.includes('--json')
  try {
    await program.parseAsync(argv, { from: 'user' })
    return 0
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0 || e.code === 'commander.help' || e.code === 'commander.helpDisplayed') {
        return e.exitCode
      }
      const reason = e.message.replace(/^error: /, '')
      // Point at the command's own help when the error is about one of its arguments.
      // The first word that names a command is the command (later ones are its arguments).
      const names = new Set(program.commands.map((c) => c.name()))
      const command = argv.find((a) => names.has(a))
      const help = command ? `ward ${command} --help` : 'ward --help'
      return reportFailure({ json }, new AppError('VALIDATION', `${reason} (see \`${help}\`)`))
    }
    return reportFailure({ json }, e)
  }
}
