import { readFile, writeFile } from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { makeProject, runWard, SHARED_DATA } from './run-ward.js'

const HEART = path.join(SHARED_DATA, 'heart_disease_uci.csv')

describe('ward CLI', () => {
  it('lists every command in --help', async () => {
    const dir = await makeProject()
    const r = await runWard(dir, ['--help'])
    expect(r.code).toBe(0)
    for (const c of [
      'demo',
      'plan',
      'apply',
      'ingest',
      'historical',
      'materialize',
      'materialize-incremental',
      'get-online',
      'config',
    ]) {
      expect(r.stdout).toMatch(new RegExp(`\\n\\s+${c}\\b`))
    }
  })

  it('reports usage errors like any failure: one line, exit 1, JSON with --json', async () => {
    const dir = await makeProject()
    const r = await runWard(dir, ['frobnicate'])
    expect([r.code, r.stderr]).toEqual([
      1,
      "ward: unknown command 'frobnicate' (see `ward --help`)\n",
    ])
    // The command is the first word naming one, even when an argument names another.
    const arg = await runWard(dir, ['ingest', 'demo'])
    expect(arg.stderr).toBe("ward: missing required argument 'file' (see `ward ingest --help`)\n")
    const j = await runWard(dir, ['historical', '--entities', 'e.csv', '--json'])
    expect(j.code).toBe(1)
    expect(j.stderr.trim().split('\n')).toHaveLength(1)
    expect(j.json()).toEqual({
      error: {
        code: 'VALIDATION',
        message: "required option '--features <refs>' not specified (see `ward historical --help`)",
      },
    })
  })

  it('refuses to read or write stored rows under definitions never applied, saying what to run', async () => {
    const dir = await makeProject()
    const before = await runWard(dir, ['ingest', 'heart_uci', HEART])
    expect(before.code).toBe(1)
    expect(before.stderr).toMatch(
      /^ward: \S*features\/ differs from the applied definitions: entity .*: not applied yet .*run `ward plan`, then `ward apply`\n/,
    )
    expect(await runWard(dir, ['apply'])).toMatchObject({ code: 0 })
    // A field added to a file after apply: historical and materialize refuse it too.
    const file = path.join(dir, 'features', 'heart.yaml')
    const yaml = await readFile(file, 'utf8')
    await writeFile(file, yaml.replace(/(\n\s+fields:\n)/, '$1      - { name: num2, type: int }\n'))
    await writeFile(path.join(dir, 'e.csv'), 'heart_patient_id,event_timestamp\n1,2000-01-01\n')
    for (const argv of [
      [
        'historical',
        '--entities',
        path.join(dir, 'e.csv'),
        '--features',
        'heart:age',
        '--out',
        path.join(dir, 'o.csv'),
      ],
      ['materialize', '--end', '2001-01-01'],
    ]) {
      const r = await runWard(dir, argv)
      expect(r.code, argv[0]).toBe(1)
      expect(r.stderr, argv[0]).toMatch(
        /feature view heart: .*num2.*run `ward plan`, then `ward apply`/,
      )
    }
  })

  it('plan exits 1 on a change apply would refuse, after printing the plan; apply refuses it', async () => {
    const dir = await makeProject()
    expect(await runWard(dir, ['apply'])).toMatchObject({ code: 0 })
    const file = path.join(dir, 'features', 'heart.yaml')
    const yaml = await readFile(file, 'utf8')
    await writeFile(file, yaml.replace(/(- name: chol\n\s+type:) int/, '$1 float'))
    const plan = await runWard(dir, ['plan'])
    expect(plan.code).toBe(1)
    expect(plan.stdout).toMatch(/~ feature_view heart {2}\(BREAKING\)/)
    expect(plan.stdout).toMatch(/1 breaking change\(s\); apply will refuse:/)
    expect(plan.stderr).toBe(
      "ward: `ward apply` would refuse breaking change: feature_view heart: field 'chol' type changed int → float\n",
    )
    // --json: one object on stdout, the error, holding the plan.
    const json = await runWard(dir, ['plan', '--json'])
    expect(json.code).toBe(1)
    const { error } = json.json() as {
      error: { code: string; details: { breaking: string[]; items: { name: string }[] } }
    }
    expect(error.code).toBe('CONFLICT')
    expect(error.details.breaking).toEqual([
      "feature_view heart: field 'chol' type changed int → float",
    ])
    expect(error.details.items.map((i) => i.name)).toContain('heart')
    // apply's refusal carries the same plan.
    const applyJson = await runWard(dir, ['apply', '--json'])
    expect(applyJson.code).toBe(1)
    expect((applyJson.json() as { error: { details: unknown } }).error.details).toEqual(
      error.details,
    )
    const apply = await runWard(dir, ['apply'])
    expect(apply.code).toBe(1)
    expect(apply.stderr).toMatch(
      /^ward: refusing to apply breaking change: feature_view heart: field 'chol'/,
    )
    // Put back, nothing is left to do: the refused apply wrote nothing.
    await writeFile(file, yaml)
    const back = await runWard(dir, ['plan'])
    expect(back.code).toBe(0)
    expect(back.stdout).toMatch(/No changes/)
  })

  it('says when the port is taken, and how to choose another', async () => {
    const dir = await makeProject()
    expect(await runWard(dir, ['apply'])).toMatchObject({ code: 0 })
    const taken = net.createServer()
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r))
    const port = (taken.address() as net.AddressInfo).port
    try {
      const r = await runWard(dir, ['serve', '--port', String(port)])
      expect(r.code).toBe(1)
      expect(r.stderr).toBe(
        `ward: cannot listen on 127.0.0.1:${port}: the port is in use; choose another with --port or --host\n`,
      )
      // Definitions never applied only warn: serve goes on (and here meets the taken port).
      const fresh = await runWard(await makeProject(), ['serve', '--port', String(port)])
      const lines = fresh.stderr.trim().split('\n')
      expect(lines[0]).toMatch(/^ward: warning: \S*features\/ differs from the applied definitions/)
      expect(lines.at(-1)).toMatch(/^ward: cannot listen on 127\.0\.0\.1:\d+: the port is in use/)
    } finally {
      taken.close()
    }
  })

  it('refuses to put a label view online', async () => {
    const dir = await makeProject()
    expect(await runWard(dir, ['apply'])).toMatchObject({ code: 0 })
    const r = await runWard(dir, [
      'materialize',
      '--end',
      '2001-01-01',
      '--views',
      'heart_diagnosis',
    ])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/heart_diagnosis is a label view/)
  })

  describe('on a fresh project (PGlite + in-process store)', () => {
    let dir: string
    beforeAll(async () => {
      dir = await makeProject()
    })

    it('plans, applies, and then has nothing left to do', async () => {
      const plan = await runWard(dir, ['plan'])
      expect(plan.code).toBe(0)
      expect(plan.stdout).toMatch(/to create/)
      const apply = await runWard(dir, ['apply', '--json'])
      expect(apply.code).toBe(0)
      expect((apply.json() as { written: number }).written).toBeGreaterThan(0)
      const again = await runWard(dir, ['plan', '--json'])
      expect((again.json() as { breaking: string[] }).breaking).toEqual([])
      expect(again.stdout).not.toMatch(/"action":"create"/)
    })

    it('ingests the real heart file, and a second ingest adds nothing', async () => {
      const first = await runWard(dir, ['ingest', 'heart_uci', HEART, '--json'])
      expect(first.stderr).toBe('')
      expect(first.code).toBe(0)
      const r1 = first.json() as { rowsRead: number; rowsRejected: number; rowsStored: number }
      expect(r1.rowsRead).toBe(920)
      expect(r1.rowsRejected).toBe(0)
      expect(r1.rowsStored).toBeGreaterThanOrEqual(920)
      const second = await runWard(dir, ['ingest', 'heart_uci', HEART, '--json'])
      expect(second.json()).toMatchObject({ rowsStored: 0, rowsSkipped: r1.rowsStored })
      // Without --json the skipped rows are spelled out, not left to be inferred from "0 new".
      const third = await runWard(dir, ['ingest', 'heart_uci', HEART])
      expect(third.stdout).toMatch(
        /skipped \d+ view row\(s\) whose entity key, event time and created time were already stored/,
      )
      // A corrected file with the same (fixed) event time: the correction is named, not stored.
      const lines = (await readFile(HEART, 'utf8')).split('\n')
      lines[1] = (lines[1] as string).replace(
        /^(\d+),(\d+),/,
        (_m, id, age) => `${id},${Number(age) + 1},`,
      )
      const corrected = path.join(dir, 'heart-corrected.csv')
      await writeFile(corrected, lines.join('\n'))
      const fourth = await runWard(dir, ['ingest', 'heart_uci', corrected])
      expect(fourth.code).toBe(0)
      expect(fourth.stdout).toMatch(/stored 0 new view row\(s\)/)
      expect(fourth.stdout).toMatch(
        / 1 of the skipped view row\(s\) hold other values than the row kept/,
      )
    })

    it('reports every bad row of a rejected file, for people and in --json', async () => {
      const lines = (await readFile(HEART, 'utf8')).split('\n').slice(0, 9)
      // Eight data rows, seven with a bad age: more than the reason line quotes.
      const bad = lines.map((l, i) => (i < 2 ? l : l.replace(/^(\d+),(\d+),/, `$1,x${i},`)))
      const file = path.join(dir, 'many-bad.csv')
      await writeFile(file, `${bad.join('\n')}\n`)
      const r = await runWard(dir, ['ingest', 'heart_uci', file])
      expect(r.code).toBe(1)
      const [reason, ...report] = r.stderr.trim().split('\n')
      expect(reason).toMatch(/7 bad row\(s\).*\(\+2 more\)$/)
      expect(report).toEqual(
        [2, 3, 4, 5, 6, 7, 8].map(
          (n) => `  row ${n} column 'age' value 'x${n}': heart:age: not a number (int)`,
        ),
      )
      const j = await runWard(dir, ['ingest', 'heart_uci', file, '--json'])
      const details = (j.json() as { error: { details: { row: number }[] } }).error.details
      expect(details.map((d) => d.row)).toEqual([2, 3, 4, 5, 6, 7, 8])
      // Skipping them, without a rejects file, still names each one.
      const s = await runWard(dir, ['ingest', 'heart_uci', file, '--on-error', 'skip'])
      expect(s.code).toBe(0)
      expect(s.stdout.split('\n').filter((l) => l.startsWith('  rejected row'))).toEqual(
        [2, 3, 4, 5, 6, 7, 8].map(
          (n) => `  rejected row ${n} column 'age' value 'x${n}': heart:age: not a number (int)`,
        ),
      )
    })

    it('rejects a file with a bad row whole, naming row and column, and keeps what was stored', async () => {
      const text = await readFile(HEART, 'utf8')
      const lines = text.split('\n')
      // Data row 3 gets a non-numeric age; every other row is fine (and new: ids shifted).
      const bad = lines
        .slice(0, 6)
        .map((l, i) => (i === 0 ? l : l.replace(/^(\d+),/, (_m, id) => `${Number(id) + 5000},`)))
      bad[3] = (bad[3] as string).replace(/^(\d+),(\d+),/, '$1,sixty,')
      const file = path.join(dir, 'bad-heart.csv')
      await writeFile(file, `${bad.join('\n')}\n`)
      const r = await runWard(dir, ['ingest', 'heart_uci', file])
      expect(r.code).toBe(1)
      // The reason on one line; with one bad cell there is no list under it.
      const [reason, ...report] = r.stderr.trim().split('\n')
      expect(reason).toMatch(
        /^ward: .*rejected, nothing stored: 1 bad row\(s\): row 3 column 'age'/,
      )
      // One bad cell: the reason names it, no list repeats it.
      expect(report).toEqual([])
      // Nothing of the bad file was stored, and the earlier ingest is intact.
      const out = path.join(dir, 'pit.csv')
      const entities = path.join(dir, 'entities.csv')
      await writeFile(
        entities,
        'heart_patient_id,event_timestamp\n5001,2000-01-01T00:00:00Z\n1,2000-01-01T00:00:00Z\n',
      )
      const h = await runWard(dir, [
        'historical',
        '--entities',
        entities,
        '--features',
        'heart:age',
        '--out',
        out,
      ])
      expect(h.stderr).toBe('')
      const csv = (await readFile(out, 'utf8')).trim().split('\n')
      expect(csv[0]).toBe('heart_patient_id,event_timestamp,heart:age')
      expect(csv[1]).toBe('5001,2000-01-01T00:00:00Z,')
      expect(csv[2]).toBe('1,2000-01-01T00:00:00Z,63')
    })

    it('names a missing column', async () => {
      const text = await readFile(HEART, 'utf8')
      const lines = text.split('\n').slice(0, 3)
      const cols = (lines[0] as string).split(',')
      const drop = cols.indexOf('chol')
      const cut = lines.map((l) =>
        l
          .split(',')
          .filter((_, i) => i !== drop)
          .join(','),
      )
      const file = path.join(dir, 'no-chol.csv')
      await writeFile(file, `${cut.join('\n')}\n`)
      const r = await runWard(dir, ['ingest', 'heart_uci', file])
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/chol/)
    })

    it('rejects an unknown feature reference by name', async () => {
      const entities = path.join(dir, 'e.csv')
      await writeFile(entities, 'heart_patient_id,event_timestamp\n1,2000-01-01\n')
      const r = await runWard(dir, [
        'historical',
        '--entities',
        entities,
        '--features',
        'heart:cholesterol',
        '--out',
        path.join(dir, 'x.csv'),
      ])
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/heart:cholesterol/)
    })

    it('rejects an unparseable timestamp option by its name', async () => {
      const r = await runWard(dir, ['materialize', '--end', 'yesterday'])
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/--end/)
    })

    it('materializes and serves the latest values with statuses', async () => {
      const m = await runWard(dir, ['materialize', '--end', '2030-01-01T00:00:00Z', '--json'])
      expect(m.stderr).toBe('')
      expect((m.json() as { rows: number }).rows).toBeGreaterThanOrEqual(920)
      const r = await runWard(dir, [
        'get-online',
        '--features',
        'heart:age,heart:chol',
        '--entities',
        '1,999999',
        '--json',
      ])
      const [view] = r.json() as {
        entities: { status: string; values?: Record<string, unknown> }[]
      }[]
      expect(view?.entities[0]).toMatchObject({ status: 'present', values: { age: 63, chol: 233 } })
      expect(view?.entities[1]).toMatchObject({ status: 'not_found' })
    })
  })

  describe('when a server does not answer', () => {
    it('names Postgres and hides the password', async () => {
      const r = await runWard(await makeProject(), ['plan'], {
        DATABASE_URL: 'postgres://ward:s3cret@127.0.0.1:1/ward',
      })
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/^ward: Postgres at postgres:\/\/ward:\*\*\*@127\.0\.0\.1:1\/ward/)
      expect(r.stderr).not.toContain('s3cret')
    })

    it('names Redis and hides the password', async () => {
      const r = await runWard(
        await makeProject(),
        ['get-online', '--features', 'heart:age', '--entities', '1'],
        { REDIS_URL: 'redis://:s3cret@127.0.0.1:1/0' },
      )
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1/)
      expect(r.stderr).not.toContain('s3cret')
    })
  })

  it('names the config file and field of a bad config', async () => {
    const dir = await makeProject()
    await writeFile(path.join(dir, 'config.yaml'), 'project: x\nonline_store: { type: redis }\n')
    const r = await runWard(dir, ['plan'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/config\.yaml: online_store\.url/)
  })

  it('names the features file and field of a bad definition', async () => {
    const dir = await makeProject()
    await writeFile(
      path.join(dir, 'features', 'zz-bad.yaml'),
      'feature_views:\n  - name: broken\n    entity: nobody\n    source: heart_uci\n    fields: [{name: a, type: int}]\n',
    )
    const r = await runWard(dir, ['plan'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/zz-bad\.yaml: feature_views\.0\.entity/)
  })
})
