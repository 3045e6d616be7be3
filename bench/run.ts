/**
 * `npm run bench`: runs every bench/*.bench.ts (or those whose names start with the arguments),
 * one after the other so they do not compete for the two cores, and writes each one's section of
 * docs/BENCHMARKS.md with the command, the machine and the date. Sections of benchmarks not run
 * this time are kept as they were.
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

const previous = await readFile(docPath, 'utf8').catch(() => '')
const sections = new Map<string, string>()
for (const m of previous.matchAll(/<!-- bench:(\S+) -->\n([\s\S]*?)<!-- \/bench:\1 -->/g)) {
  sections.set(m[1] as string, m[2] as string)
}

for (const file of files) {
  const started = performance.now()
  process.stderr.write(`bench: ${file} …\n`)
  let body: string
  try {
    const mod = (await import(path.join(here, file))) as BenchModule
    body = await mod.run()
  } catch (e) {
    body = `## ${file}\n\nFAILED: ${e instanceof Error ? e.message : String(e)}\n`
    process.exitCode = 1
  }
  const stamp = `_Measured ${new Date().toISOString()} with \`npm run bench -- ${file.replace('.bench.ts', '')}\` on ${machine}._`
  sections.set(file, `${body.trim()}\n\n${stamp}\n`)
  process.stderr.write(
    `bench: ${file} done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
  )
}

const header = [
  '# Benchmarks',
  '',
  'Run all with `npm run bench`, or some with `npm run bench -- <name>` (e.g. `treeshap`).',
  'Every comparison was measured side by side in one run; the machine is shared and noisy',
  '(10–30% between runs), so read the ratios rather than the absolute figures.',
  '',
].join('\n')
const body = [...sections.keys()]
  .sort()
  .map((f) => `${marker(f, false)}\n${sections.get(f)}${marker(f, true)}`)
  .join('\n\n')
await writeFile(docPath, `${header}\n${body}\n`)
process.stderr.write(`bench: wrote ${docPath}\n`)
