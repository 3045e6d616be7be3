/**
 * A small seeded data set where -1 is a real value and some cells are missing, shared by the
 * missing-value test and the script that produced its golden files
 * (generate-missing-golden.ts). Feature 0 takes values -3..2; rows with x0 <= -1 are mostly
 * positive, rows with x0 missing mostly negative, so a real -1 and a missing x0 must score
 * differently. Feature 1 is continuous with real -1s and missing cells; feature 2 is noise.
 */

/** Park–Miller minimal standard generator: deterministic and tiny. */
const lcg = (seed: number): (() => number) => {
  let s = seed
  return () => {
    s = (s * 16_807) % 2_147_483_647
    return s / 2_147_483_647
  }
}

export interface MissingValuesDataset {
  readonly rows: ReadonlyArray<ReadonlyArray<number | null>>
  readonly labels: ReadonlyArray<number>
  readonly cols: number
}

export const missingValuesDataset = (): MissingValuesDataset => {
  const rnd = lcg(20_240_601)
  const rows: (number | null)[][] = []
  const labels: number[] = []
  for (let i = 0; i < 800; i++) {
    const x0 = rnd() < 0.15 ? null : Math.floor(rnd() * 6) - 3
    const u = rnd()
    const x1 = u < 0.1 ? null : u < 0.2 ? -1 : Math.round((rnd() * 4 - 2) * 100) / 100
    const x2 = Math.round(rnd() * 100) / 100
    let p = x0 === null ? 0.15 : x0 <= -1 ? 0.85 : 0.2
    if (x1 !== null && x1 <= -1) p = Math.min(0.95, p + 0.1)
    rows.push([x0, x1, x2])
    labels.push(rnd() < p ? 1 : 0)
  }
  return { rows, labels, cols: 3 }
}

/**
 * Rows to score: pairs that differ only in one cell being a real -1 versus missing, plus the
 * neighbours of -1 (-2 and 0) so a test can see on which side of each split -1 falls.
 */
export const missingValuesProbes: ReadonlyArray<ReadonlyArray<number | null>> = [
  [-1, 0.5, 0.5],
  [null, 0.5, 0.5],
  [-2, 0.5, 0.5],
  [0, 0.5, 0.5],
  [-1, -1, 0.3],
  [-1, null, 0.3],
  [1, -1, 0.7],
  [1, null, 0.7],
  [1, -1.01, 0.7],
  [1, -0.99, 0.7],
  [null, null, 0.1],
  [-3, -1, 0.9],
]

/** Parameters of the golden models (the tree method varies). */
export const missingValuesParams = {
  objective: 'binary:logistic',
  max_depth: 3,
  eta: 0.3,
  seed: 0,
} as const
export const MISSING_VALUES_ROUNDS = 20
