import { applyFeatureRepo, planAgainstDb } from '../../features/apply.js'
import { formatPlan } from '../../features/plan.js'
import { withServices } from '../../services.js'
import { printResult } from '../output.js'
import type { CommandModule } from '../program.js'

/** `ward plan` and `ward apply`: feature definitions → offline tables (Feast's plan/apply). */
export const featuresCommands: CommandModule = (program, globals) => {
  program
    .command('plan')
    .description('show what `ward apply` would change; changes no definitions or tables')
    .option('-v, --verbose', 'list unchanged definitions too', false)
    .action(async (o: { verbose: boolean }) => {
      const opts = globals()
      await withServices(opts.config, process.env, async (s) => {
        // Definitions first: a bad file is reported without touching the database.
        const repo = await s.featureRepo()
        const plan = await planAgainstDb(await s.db(), repo)
        printResult(opts, plan, formatPlan(plan, { verbose: o.verbose }))
      })
    })

  program
    .command('apply')
    .description('create or migrate the offline tables and record the applied definitions')
    .action(async () => {
      const opts = globals()
      await withServices(opts.config, process.env, async (s) => {
        const repo = await s.featureRepo()
        const offline = await s.offline()
        const result = await applyFeatureRepo(await s.db(), repo, (views) =>
          offline.ensureTables(views),
        )
        printResult(
          opts,
          result,
          `${formatPlan(result.plan)}\napplied: ${result.written} definition(s) written`,
        )
      })
    })
}
