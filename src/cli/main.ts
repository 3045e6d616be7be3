#!/usr/bin/env node
import { COMMANDS } from './commands.js'
import { runCli } from './program.js'

// The process entry of `ward`: the only place that exits.
process.exitCode = await runCli(COMMANDS, process.argv.slice(2))
