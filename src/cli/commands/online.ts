import { AppError } from '../../core/errors.js'
import type { FeatureRepo } from '../../features/repo.js'
import type { StoredView } from '../../features/schema.js'
import type { MaterializeReport } from '../../online/materialize.js'
import { materialize, materializeIncremental } from '../../online/materialize.js'
import { withServices } from '../../services.js'
import { type GlobalOptions, printResult } from '../output.js'
import { listOption, timestampOption } from '../parse-options.js'
import type { CommandModule } from '../program.js'
import { makeProgress } from '../progress.js'

const describeReport = (r: MaterializeReport): string =>
  [
    ...r.views.map(
      (v) =>
        `${v.view}: ${v.rows} row(s) online (${v.skippedOlder} older than online, skipped), watermark ${v.watermark?.toISOString() ?? 'none'}`,
    ),
    `materialized ${r.rows} row(s) in ${r.seconds.toFixed(2)} s (${Math.round(r.rowsPerSecond)} rows/s)`,
  ].join('\n')

/** `ward materialize`, `ward materialize-incremental` and `ward get-online`. */
export const onlineCommands: CommandModule = (program, globals) => {
  program
    .command('materialize')
    .description(
      'copy the latest row per entity with start < event time ≤ end into the online store',
    )
    .option('--start <time>', 'ISO 8601 lower bound (exclusive); default: no bound')
    .requiredOption('--end <time>', 'ISO 8601 upper bound (inclusive), or `now`')
    .option('--views <names>', 'comma-separated views (default: every feature view)')
    .action(async (o: { start?: string; end: string; views?: string }) => {
      const start = o.start === undefined ? undefined : timestampOption('start', o.start)
      const end = timestampOption('end', o.end)
      await runMaterialization(globals(), o.views, (inputs) =>
        materialize({ ...inputs, start, end }),
      )
    })

  program
    .command('materialize-incremental')
    .description('materialize each view from its watermark up to now')
    .option('--views <names>', 'comma-separated views (default: every feature view)')
    .option('--now <time>', 'ISO 8601 end instead of the current time')
    .action(async (o: { views?: string; now?: string }) => {
      const now = o.now === undefined ? new Date() : timestampOption('now', o.now)
      await runMaterialization(globals(), o.views, (inputs) =>
        materializeIncremental({ ...inputs, now }),
      )
    })

  program
    .command('get-online')
    .description('read the online values of some entities: present, not_found or stale')
    .requiredOption('--features <refs>', 'comma-separated view:feature references')
    .requiredOption('--entities <keys>', 'comma-separated entity keys')
    .option('--now <time>', 'ISO 8601 time to judge staleness at (default: now)')
    .action(async (o: { features: string; entities: string; now?: string }) => {
      const opts = globals()
      const now = o.now === undefined ? new Date() : timestampOption('now', o.now)
      await withServices(opts.config, process.env, async (s) => {
        // Not appliedRepo: that opens the offline store, and an embedded PGlite store belongs to
        // one process at a time, typically a `ward serve` or `ward demo` running beside this.
        const refs = (await s.featureRepo()).resolveOneEntity(listOption(o.features), 'feature')
        const keys = listOption(o.entities)
        const results = await (await s.online()).read(
          refs.map((r) => ({ view: r.view, entityKeys: keys, fields: r.fields })),
          now,
        )
        printResult(opts, results, JSON.stringify(results, null, 2))
      })
    })
}

type MaterializeInputs = Parameters<typeof materialize>[0]

/** Opens what materialization needs, shows progress, runs it and prints the report. */
const runMaterialization = async (
  opts: GlobalOptions,
  views: string | undefined,
  run: (inputs: Omit<MaterializeInputs, 'start' | 'end'>) => Promise<MaterializeReport>,
): Promise<void> => {
  await withServices(opts.config, process.env, async (s) => {
    const repo = await s.appliedRepo()
    const chosen =
      views === undefined
        ? repo.views.filter((v) => v.kind === 'feature')
        : listOption(views).map((name) => featureView(repo, name))
    const progress = makeProgress('materialize', !opts.json)
    try {
      const report = await run({
        offline: await s.offline(),
        online: await s.online(),
        watermarks: await s.watermarks(),
        views: chosen,
        onProgress: (p) => progress.update(p.totalRows),
      })
      progress.stop()
      printResult(opts, report, describeReport(report))
    } finally {
      progress.stop()
    }
  })
}

/** A feature view by name: labels are outcomes to train on, never served online. */
const featureView = (repo: FeatureRepo, name: string): StoredView => {
  const view = repo.view(name)
  if (view.kind !== 'feature') {
    throw new AppError(
      'VALIDATION',
      `--views: ${name} is a label view; only feature views are materialized online`,
      { field: 'views' },
    )
  }
  return view
}
