import { loadConfig } from '../../config/load.js'
import { redactUrl } from '../../core/redact.js'
import { printResult } from '../output.js'
import type { CommandModule } from '../program.js'

/** `ward config`: the configuration in effect, after environment overrides, passwords hidden. */
export const configCommand: CommandModule = (program, globals) => {
  program
    .command('config')
    .description('show the configuration in effect (config.yaml + DATABASE_URL/REDIS_URL)')
    .action(async () => {
      const opts = globals()
      const c = await loadConfig(opts.config, process.env)
      const shown = {
        project: c.project,
        offline_store:
          c.offline_store.type === 'postgres'
            ? { type: 'postgres', url: redactUrl(c.offline_store.url) }
            : c.offline_store,
        online_store:
          c.online_store.type === 'redis'
            ? { type: 'redis', url: redactUrl(c.online_store.url) }
            : c.online_store,
        features_dir: c.features_dir,
        artifacts_dir: c.artifacts_dir,
      }
      printResult(opts, shown, JSON.stringify(shown, null, 2))
    })
}
