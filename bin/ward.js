#!/usr/bin/env node
// Entry for `npx ward`: runs the compiled CLI (built by `npm ci` through the `prepare` script).
import { existsSync } from 'node:fs'

const compiled = new URL('../dist/cli/main.js', import.meta.url)
if (!existsSync(compiled)) {
  process.stderr.write('ward: dist/ is missing; run `npm run build` (npm ci does it) first\n')
  process.exit(1)
}
await import(compiled.href)
