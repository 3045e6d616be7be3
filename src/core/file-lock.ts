import lockfile from 'proper-lockfile'

/**
 * Locks `path` against other processes (proper-lockfile: a `<path>.lock` folder, refreshed every
 * 5 s while held, taken over as stale 30 s after a holder crashed, removed on exit), waiting
 * `waitMs` at most. Resolves with the release; rejects with proper-lockfile's error (`ELOCKED`
 * when another process held it throughout) for the caller to word.
 */
export const lockAcrossProcesses = (
  path: string,
  waitMs: number,
  /** An existing path is locked by its real path, so every spelling of it meets one lock. */
  exists: boolean,
): Promise<() => Promise<void>> =>
  lockfile.lock(path, {
    realpath: exists,
    stale: STALE_MS,
    update: 5_000,
    // Retries back off from 100 ms to at most 1 s: enough of them to cover `waitMs`.
    retries: {
      retries: Math.max(1, Math.ceil(waitMs / 1_000) + 4),
      minTimeout: 100,
      maxTimeout: 1_000,
    },
    // A busy event loop that delays the refresh must not crash the process; say so instead.
    onCompromised: (e) =>
      process.stderr.write(`ward: warning: lost the lock on ${path}: ${e.message}\n`),
  })

/** After this long a crashed holder's lock is taken over. */
export const STALE_MS = 30_000
