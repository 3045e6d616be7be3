import { AppError } from '../../core/errors.js'
import { type HistoricalProgress, writeHistoricalCsv } from '../../dataset/historical-csv.js'
import { describeRowError, type IngestReport, ingestCsv } from '../../offline/ingest.js'
import { withServices } from '../../services.js'
import { printResult } from '../output.js'
import { listOption } from '../parse-options.js'
import type { CommandModule } from '../program.js'
import { makeProgress, type Progress } from '../progress.js'

const describeIngest = (r: IngestReport): string =>
  [
    `${r.source}: read ${r.rowsRead} row(s) of ${r.file}, rejected ${r.rowsRejected}; stored ${r.rowsStored} new view row(s) (each file row feeds ${Object.keys(r.storedByView).length} view(s))`,
    ...(r.rowsSkipped > 0
      ? [
          `  skipped ${r.rowsSkipped} view row(s) whose entity key, event time and created time were already stored (the first write wins: a correction needs a later event or created time)`,
        ]
      : []),
    ...(r.rowsConflicting > 0
      ? [
          `  ${r.rowsConflicting} of the skipped view row(s) hold other values than the row kept for their key: those corrections were not stored`,
        ]
      : []),
    ...Object.entries(r.storedByView).map(([view, n]) => `  ${view}: ${n} new row(s)`),
    // --on-error skip: the rows left out are named, also without a --rejects file.
    ...r.errors.map((e) => `  rejected ${describeRowError(e)}`),
  ].join('\n')

/** `ward ingest` and `ward historical`: the offline store's two doors. */
export const offlineCommands: CommandModule = (program, globals) => {
  program
    .command('ingest')
    .description('validate a CSV file of a source and store its rows (all or nothing by default)')
    .argument('<source>', 'source name from features/*.yaml, e.g. heart_uci')
    .argument('<file>', 'CSV file with a header row')
    .option(
      '--on-error <mode>',
      'reject: any bad row rejects the file; skip: store good rows',
      'reject',
    )
    .option('--rejects <file>', 'with --on-error skip: write bad rows here')
    .action(async (source: string, file: string, o: { onError: string; rejects?: string }) => {
      const opts = globals()
      if (o.onError !== 'reject' && o.onError !== 'skip') {
        throw new AppError(
          'VALIDATION',
          `--on-error must be 'reject' or 'skip', not '${o.onError}'`,
          {
            field: 'on-error',
          },
        )
      }
      if (o.rejects !== undefined && o.onError !== 'skip') {
        throw new AppError('VALIDATION', '--rejects needs --on-error skip', { field: 'rejects' })
      }
      await withServices(opts.config, process.env, async (s) => {
        const progress = makeProgress(`ingest ${source}`, !opts.json)
        try {
          const report = await ingestCsv({
            db: await s.db(),
            store: await s.offline(),
            repo: await s.appliedRepo(),
            source,
            file,
            onError: o.onError as 'reject' | 'skip',
            ...(o.rejects === undefined ? {} : { rejectsFile: o.rejects }),
            onProgress: (p) => progress.update(p.bytesRead, p.totalBytes),
          })
          progress.stop()
          printResult(opts, report, describeIngest(report))
        } finally {
          progress.stop()
        }
      })
    })

  program
    .command('historical')
    .description('point-in-time-correct features for entity rows (a training set) as CSV')
    .requiredOption(
      '--entities <file>',
      'CSV with the join key column and event_timestamp (other columns are passed through)',
    )
    .requiredOption('--features <refs>', 'comma-separated view:feature references')
    .requiredOption('--out <file>', 'output CSV')
    .action(async (o: { entities: string; features: string; out: string }) => {
      const opts = globals()
      await withServices(opts.config, process.env, async (s) => {
        // One display per phase: a count while reading, then bars over the entity rows.
        let shown: { phase: HistoricalProgress['phase']; progress: Progress } | undefined
        const onProgress = (p: HistoricalProgress) => {
          if (shown?.phase !== p.phase) {
            shown?.progress.stop()
            shown = { phase: p.phase, progress: makeProgress(`historical: ${p.phase}`, !opts.json) }
          }
          shown.progress.update(p.done, p.total)
        }
        try {
          const report = await writeHistoricalCsv({
            store: await s.offline(),
            repo: await s.appliedRepo(),
            entitiesFile: o.entities,
            refs: listOption(o.features),
            outFile: o.out,
            onProgress,
          })
          shown?.progress.stop()
          printResult(opts, { ...report, out: o.out }, `wrote ${report.rows} row(s) to ${o.out}`)
        } finally {
          shown?.progress.stop()
        }
      })
    })
}
