import cliProgress from 'cli-progress'

/** Reports progress of long work; silent for --json and when stderr is not a terminal. */
export interface Progress {
  update(done: number, total?: number): void
  stop(): void
}

export const makeProgress = (label: string, enabled: boolean): Progress => {
  if (!enabled || !process.stderr.isTTY) return { update: () => {}, stop: () => {} }
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {value}/{total} ({percentage}%) {eta_formatted}`,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  )
  let started = false
  return {
    update(done, total) {
      if (!started) {
        bar.start(total ?? done, done)
        started = true
      } else {
        if (total !== undefined) bar.setTotal(total)
        bar.update(done)
      }
    },
    stop() {
      if (started) bar.stop()
      started = false
    },
  }
}
