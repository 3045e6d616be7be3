import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

/**
 * The numeric cores stay pure: files under these folders may import only from `src/core`,
 * `src/ml` and node's pure helpers, so they can be reasoned about and tested without I/O.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const PURE_DIRS = ['src/ml']
const ALLOWED = [/^src\/core\//, /^src\/ml\//]
const FORBIDDEN_BARE = /^(node:)?(fs|fs\/promises|net|http|https|child_process|worker_threads)$/

const listTs = async (dir: string): Promise<string[]> => {
  const entries = await readdir(path.join(root, dir), { withFileTypes: true, recursive: true })
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .filter((f) => !f.includes('test-support'))
}

describe('pure numeric cores', () => {
  it('import nothing outside src/core and src/ml, and no I/O modules', async () => {
    const offences: string[] = []
    for (const dir of PURE_DIRS) {
      for (const file of await listTs(dir)) {
        const text = await readFile(path.join(root, file), 'utf8')
        for (const m of text.matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)) {
          const spec = m[1] as string
          if (spec.startsWith('.')) {
            const target = path.relative(root, path.resolve(root, path.dirname(file), spec))
            if (!ALLOWED.some((re) => re.test(target))) offences.push(`${file} → ${spec}`)
          } else if (FORBIDDEN_BARE.test(spec) || !spec.startsWith('node:')) {
            offences.push(`${file} → ${spec}`)
          }
        }
        if (/\bDate\.now\(|\bMath\.random\(/.test(text))
          offences.push(`${file}: clock or randomness`)
      }
    }
    expect(offences).toEqual([])
  })
})
