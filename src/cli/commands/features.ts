import { applyFeatureRepo, planAgainstDb } from '../../features/apply.js'
import { breakingChangeError, formatPlan } from '../../features/plan.js'
import { withServices } from '../../services.js'
import { printResult } from '../output.js'
import type { CommandModule } from '../program.js'

/** `ward plan` and `ward apply`: feature definitions → offline tables (Feast's plan/apply). */
export const featuresCommands: CommandModule = (program, globals) => {
  program
    .command('plan')
    .description(
      'show what `ward apply` would change; changes no definitions or tables. Exits 1 when apply would refuse a breaking change',
    )
    .option('-v, --verbose', 'list unchanged definitions too', false)
    .action(async (o: { verbose: boolean }) => {
      const opts = globals()
      await withServices(opts.config, process.env, async (s) => {
        // Definitions first: a bad file is reported without touching the database.
        const repo = await s.featureRepo()
        const plan = await planAgainstDb(await s.db(), repo)
        // With --json the error alone is printed, so stdout stays one object; it holds the plan.
        const refusal = breakingChangeError(plan, '`ward apply` would refuse')
        if (!(refusal && opts.json))
          printResult(opts, plan, formatPlan(plan, { verbose: o.verbose }))
        if (refusal) throw refusal
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
