import cliProgress from 'cli-progress'

/** Reports progress of long work; silent for --json and when stderr is not a terminal. */
export interface Progress {
  /** `total` known: a bar with percentage and ETA; never given: a running count of `unit`. */
  update(done: number, total?: number): void
  stop(): void
}

export const makeProgress = (label: string, enabled: boolean, unit = 'rows'): Progress => {
  if (!enabled || !process.stderr.isTTY) return { update: () => {}, stop: () => {} }
  let bar: cliProgress.SingleBar | undefined
  return {
    update(done, total) {
      if (!bar) {
        // The format is fixed when the bar is made: a count when there is no total to show.
        bar = new cliProgress.SingleBar(
          {
            stream: process.stderr,
            format:
              total === undefined
                ? `${label}: {value} ${unit}`
                : `${label} [{bar}] {value}/{total} ({percentage}%) {eta_formatted}`,
            hideCursor: true,
          },
          cliProgress.Presets.shades_classic,
        )
        bar.start(total ?? 0, done)
        return
      }
      if (total !== undefined) bar.setTotal(total)
      bar.update(done)
    },
    stop() {
      bar?.stop()
      bar = undefined
    },
  }
}
