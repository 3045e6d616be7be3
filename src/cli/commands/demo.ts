import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { resolvePath } from '../../config/load.js'
import { csvObjects, csvText } from '../../core/csv-text.js'
import { AppError } from '../../core/errors.js'
import { writeHistoricalCsv } from '../../dataset/historical-csv.js'
import { SYNTHETIC_FILES, writeSyntheticCsvs } from '../../demo/synthetic-patients.js'
import { applyFeatureRepo } from '../../features/apply.js'
import { ingestCsv } from '../../offline/ingest.js'
import { materialize } from '../../online/materialize.js'
import { withServices } from '../../services.js'
import { printResult } from '../output.js'
import type { CommandModule } from '../program.js'
import { serveUntilStopped, withServeOptions } from './serve.js'

const DAY_MS = 86_400_000

const positiveInt = (name: string, text: string): number => {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1) {
    throw new AppError('VALIDATION', `--${name} must be a positive integer, not '${text}'`, {
      field: name,
    })
  }
  return n
}

const DEMO_FEATURES = [
  'synthetic_vitals:age',
  'synthetic_vitals:systolic_bp',
  'synthetic_labs:hba1c',
]

/**
 * `ward demo`: the fresh-clone bootstrap on SYNTHETIC data. Generates seeded synthetic patients,
 * applies the definitions, ingests, builds a point-in-time training set and materializes the
 * latest values online. Training and serving are later issues; the demo says so and stops there.
 */
export const demoCommand: CommandModule = (program, globals) => {
  withServeOptions(
    program
      .command('demo')
      .description(
        'bootstrap the SYNTHETIC demo (generate → apply → ingest → training set → online), then serve',
      )
      .option('--seed <n>', 'seed of the synthetic generator', '42')
      .option('--patients <n>', 'number of synthetic patients', '500')
      .option('--no-serve', 'stop after the bootstrap instead of serving the API'),
  ).action(
    async (o: { seed: string; patients: string; serve: boolean; port: string; host: string }) => {
      const opts = globals()
      const say = (line: string) => {
        if (!opts.json) process.stderr.write(`${line}\n`)
      }
      await withServices(opts.config, process.env, async (s) => {
        const dir = resolvePath(s.config, '.ward/demo')
        say(`1/5 generating SYNTHETIC patients (seed ${o.seed}) into ${dir}`)
        // Visits span the two years up to today, so the latest values are fresh (within TTL).
        const start = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS - 730 * DAY_MS)
        const files = await writeSyntheticCsvs(dir, {
          seed: positiveInt('seed', o.seed),
          patients: positiveInt('patients', o.patients),
          start,
        })
        const repo = await s.featureRepo()
        const db = await s.db()
        const offline = await s.offline()
        say(`2/5 applying feature definitions to ${db.target}`)
        await applyFeatureRepo(db, repo, (views) => offline.ensureTables(views))
        say('3/5 ingesting the synthetic sources')
        const ingested = []
        for (const source of Object.keys(SYNTHETIC_FILES) as (keyof typeof SYNTHETIC_FILES)[]) {
          const report = await ingestCsv({ db, store: offline, repo, source, file: files[source] })
          ingested.push(report)
          say(`    ${source}: ${report.rowsStored} new row(s) of ${report.rowsRead}`)
        }
        say('4/5 building a point-in-time training set (features as of each outcome)')
        const entities = path.join(dir, 'training_entities.csv')
        await writeEntityFile(files.synthetic_outcomes, entities)
        const trainingSet = path.join(dir, 'training_set.csv')
        const historical = await writeHistoricalCsv({
          store: offline,
          repo,
          entitiesFile: entities,
          refs: [...DEMO_FEATURES, 'synthetic_outcome:adverse_event'],
          outFile: trainingSet,
        })
        say(`    ${historical.rows} row(s) → ${trainingSet}`)
        say(
          `5/5 materializing the latest values into the ${s.config.online_store.type} online store`,
        )
        const online = await materialize({
          offline,
          online: await s.online(),
          watermarks: await s.watermarks(),
          views: repo.views.filter((v) => v.kind === 'feature' && v.name.startsWith('synthetic_')),
          start: undefined,
          end: new Date(),
        })
        const summary = {
          ingested,
          trainingSet: { file: trainingSet, rows: historical.rows },
          materialized: online.rows,
          next: 'Training, the model registry and explained predictions are not built yet: the API serves feature-store reads for now.',
        }
        printResult(
          opts,
          summary,
          [
            `demo ready: ${online.rows} entity rows online, training set at ${trainingSet}`,
            'try: npx ward get-online --features synthetic_vitals:age,synthetic_labs:hba1c --entities SYN-00007,SYN-00004,nobody',
            summary.next,
          ].join('\n'),
        )
        if (o.serve) await serveUntilStopped(s, o)
      })
    },
  )
}

/** Entity rows for the training set: one per outcome, as of the outcome's time. */
const writeEntityFile = async (outcomesCsv: string, out: string): Promise<void> => {
  const records = csvObjects(await readFile(outcomesCsv, 'utf8'))
  const rows = records.map((r) => [r.synthetic_patient_id ?? '', r.outcome_ts ?? ''])
  await writeFile(out, csvText([['synthetic_patient_id', 'event_timestamp'], ...rows]))
}
