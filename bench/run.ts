/**
 * `npm run bench`: runs every bench/*.bench.ts (or those whose names start with the arguments),
 * one after the other so they do not compete for the two cores, and writes each one's section of
 * docs/BENCHMARKS.md with the command, the machine and the date. Only the sections of benchmarks
 * run this time change: the others, and text outside the sections, are kept as they were. A
 * benchmark that fails keeps its last figures, under a line saying when and why it failed.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

interface BenchModule {
  run(): Promise<string>
}

const here = path.dirname(fileURLToPath(import.meta.url))
const docPath = path.join(here, '..', 'docs', 'BENCHMARKS.md')
const only = process.argv.slice(2)
const files = (await readdir(here))
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort()

const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`
const marker = (file: string, end: boolean) => `<!-- ${end ? '/' : ''}bench:${file} -->`

const HEADER = [
  '# Benchmarks',
  '',
  'Run all with `npm run bench`, or some with `npm run bench -- <name>` (e.g. `treeshap`).',
  'Every comparison was measured side by side in one run; the machine is shared and noisy',
  '(10–30% between runs), so read the ratios rather than the absolute figures.',
  '',
].join('\n')

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** A section's text between its markers: `bench:FILE` … `/bench:FILE`. */
const sectionPattern = (file: string): RegExp =>
  new RegExp(
    `${escapeRegExp(marker(file, false))}\\n([\\s\\S]*?)${escapeRegExp(marker(file, true))}`,
  )

/** A failure in one line: the first line of the message, and its last when they differ. */
const oneLine = (e: unknown): string => {
  const lines = (e instanceof Error ? e.message : String(e)).split('\n').filter((l) => l.trim())
  const first = (lines[0] ?? 'unknown error').slice(0, 160)
  const last = lines.at(-1)
  return last && lines.length > 1 ? `${first} … ${last.trim()}` : first
}

let doc = await readFile(docPath, 'utf8').catch(() => `${HEADER}\n`)

for (const file of files) {
  const started = performance.now()
  process.stderr.write(`bench: ${file} …\n`)
  const stamp = `with \`npm run bench -- ${file.replace('.bench.ts', '')}\` on ${machine}`
  const before = sectionPattern(file).exec(doc)?.[1]
  let section: string
  try {
    const mod = (await import(path.join(here, file))) as BenchModule
    const body = await mod.run()
    section = `${body.trim()}\n\n_Measured ${new Date().toISOString()} ${stamp}._\n`
  } catch (e) {
    process.exitCode = 1
    const why = oneLine(e)
    process.stderr.write(`bench: ${file} FAILED: ${why}\n`)
    // The last good figures stay, marked, rather than being replaced by the error.
    const kept = (before ?? `## ${file}\n`).replace(/\n_Last run FAILED[^\n]*\n$/, '')
    section = `${kept}\n_Last run FAILED ${new Date().toISOString()} ${stamp}: ${why}_\n`
  }
  const block = `${marker(file, false)}\n${section}${marker(file, true)}`
  doc =
    before === undefined
      ? `${doc.trimEnd()}\n\n${block}\n`
      : doc.replace(sectionPattern(file), () => block)
  process.stderr.write(
    `bench: ${file} done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
  )
}

await writeFile(docPath, doc)
process.stderr.write(`bench: wrote ${docPath}\n`)
