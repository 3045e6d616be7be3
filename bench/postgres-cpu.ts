import { readdir, readFile } from 'node:fs/promises'

/** Linux reports process times in clock ticks of 1/100 s (USER_HZ) on every common build. */
const TICKS_PER_SECOND = 100

/**
 * CPU seconds used so far by a Postgres server on this machine: every live `postgres` process
 * (backends, WAL writer, checkpointer, …) plus what the postmaster's exited children used (a
 * backend's time moves there when its connection closes). Read twice around some work, the
 * difference is the server's CPU for it. Undefined when no server process is visible (a remote
 * server, or no /proc).
 */
export const postgresCpuSeconds = async (): Promise<number | undefined> => {
  let pids: string[]
  try {
    pids = (await readdir('/proc')).filter((p) => /^\d+$/.test(p))
  } catch {
    return undefined
  }
  const stats = await Promise.all(pids.map((pid) => readStat(pid)))
  const servers = stats.filter((s) => s?.comm === 'postgres') as Stat[]
  if (servers.length === 0) return undefined
  const serverPids = new Set(servers.map((s) => s.pid))
  let ticks = 0
  for (const s of servers) {
    ticks += s.utime + s.stime
    // The postmaster: the one whose parent is not a postgres process.
    if (!serverPids.has(s.ppid)) ticks += s.cutime + s.cstime
  }
  return ticks / TICKS_PER_SECOND
}

interface Stat {
  pid: number
  comm: string
  ppid: number
  utime: number
  stime: number
  cutime: number
  cstime: number
}

/** proc(5): `pid (comm) state ppid …`; comm may hold spaces, so fields count from its `)`. */
const readStat = async (pid: string): Promise<Stat | undefined> => {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8')
    const open = text.indexOf('(')
    const close = text.lastIndexOf(')')
    const rest = text
      .slice(close + 2)
      .split(' ')
      .map(Number)
    // rest[0] is field 3 (state), so field n is rest[n - 3].
    return {
      pid: Number(pid),
      comm: text.slice(open + 1, close),
      ppid: rest[1] as number,
      utime: rest[11] as number,
      stime: rest[12] as number,
      cutime: rest[13] as number,
      cstime: rest[14] as number,
    }
  } catch {
    // The process ended between readdir and read.
    return undefined
  }
}
