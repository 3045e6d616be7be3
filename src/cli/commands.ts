import { configCommand } from './commands/config.js'
import { demoCommand } from './commands/demo.js'
import { featuresCommands } from './commands/features.js'
import { offlineCommands } from './commands/offline.js'
import { onlineCommands } from './commands/online.js'
import { serveCommand } from './commands/serve.js'
import type { CommandModule } from './program.js'

/** Every `ward` command, in the order `ward --help` lists them. */
export const COMMANDS: CommandModule[] = [
  demoCommand,
  featuresCommands,
  offlineCommands,
  onlineCommands,
  serveCommand,
  configCommand,
]
