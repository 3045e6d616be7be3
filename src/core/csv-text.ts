import Papa from 'papaparse'

/**
 * CSV text in memory, both ways (Papa Parse: the project's one CSV library; streamed files go
 * through `csv-input.ts` and `csv-output.ts`).
 */

/**
 * CSV text of records: comma-separated, `\n` line ends, a trailing newline, a cell quoted only
 * when it holds a comma, a quote, a line break or edge blanks.
 */
export const csvText = (records: readonly (readonly (string | number)[])[]): string =>
  records.length === 0
    ? ''
    : `${Papa.unparse(
        records.map((r) => r.map(String)),
        { newline: '\n' },
      )}\n`

/** Records of CSV text as objects keyed by the header row (BOM dropped, empty lines skipped). */
export const csvObjects = (text: string): Record<string, string>[] => {
  const result = Papa.parse<Record<string, string>>(text.replace(/^\uFEFF/, ''), {
    header: true,
    delimiter: ',',
    skipEmptyLines: true,
  })
  const bad = result.errors[0]
  if (bad) throw new Error(`not valid CSV: ${bad.message} (record ${(bad.row ?? 0) + 1})`)
  return result.data
}
