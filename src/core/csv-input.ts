import { isUtf8 } from 'node:buffer'
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { Transform } from 'node:stream'
import Papa from 'papaparse'
import { AppError } from './errors.js'

/** A CSV file being read. */
export interface CsvInput {
  /** The records (arrays of cells), in file order, a batch per chunk of the file. */
  batches: AsyncIterable<string[][]>
  bytesRead(): number
  /** The file's sha256; only once every record has been read. */
  sha256(): string
  close(): void
}

/** Bytes per read of the file: 16 and 256 KiB ran no faster on diabetic_data.csv. */
const READ_BYTES = 64 << 10

/** Batches parsed ahead of the reader before the file is paused (~64 KiB each). */
const BATCHES_AHEAD = 8

/**
 * Streams a CSV file with Papa Parse (comma-separated, quotes per RFC 4180, CRLF or LF, leading
 * BOMs dropped, empty lines skipped), hashing the bytes on the way. Papa Parse was chosen over
 * csv-parse for speed: it reads diabetic_data.csv about 3× faster (0.3 s against 1.0 s here),
 * and parsing was most of an ingest's Node time. A quoting error fails the read with VALIDATION
 * naming the file and the record.
 */
export const openCsv = async (
  file: string,
  /** Tests only: smaller reads, so characters and bad bytes fall across read boundaries. */
  options: { readBytes?: number } = {},
): Promise<CsvInput> => {
  const hash = createHash('sha256')
  let bytes = 0
  const raw = createReadStream(file, { highWaterMark: options.readBytes ?? READ_BYTES })
  raw.on('data', (chunk) => {
    hash.update(chunk as Buffer)
    bytes += (chunk as Buffer).length
  })
  const text = utf8Decoder(file)
  raw.on('error', (e) => text.destroy(e))
  raw.pipe(text)

  const queue: string[][][] = []
  let finished = false
  let failure: unknown
  let paused: Papa.Parser | undefined
  let wake: (() => void) | undefined
  let recordsBefore = 0
  const signal = () => {
    wake?.()
    wake = undefined
  }
  Papa.parse<string[]>(text as unknown as Papa.LocalFile, {
    delimiter: ',',
    quoteChar: '"',
    skipEmptyLines: true,
    chunk: (results, parser) => {
      const quoting = results.errors.find((e) => e.type === 'Quotes')
      if (quoting) {
        const record = recordsBefore + (quoting.row ?? 0) + 1
        failure = new AppError(
          'VALIDATION',
          `${file}: not valid CSV: ${quoting.message} (record ${record}, header included)`,
          { field: file },
        )
        parser.abort()
      } else {
        recordsBefore += results.data.length
        queue.push(results.data)
        if (queue.length >= BATCHES_AHEAD) {
          // Both: Papa's pause stops its parsing, not the file, which would pile up in memory.
          paused = parser
          parser.pause()
          text.pause()
        }
      }
      signal()
    },
    complete: () => {
      finished = true
      signal()
    },
    error: (e: Error) => {
      if (e instanceof AppError) {
        failure = e
        signal()
        return
      }
      const missing = (e as { code?: unknown }).code === 'ENOENT'
      failure = new AppError(
        missing ? 'NOT_FOUND' : 'VALIDATION',
        `${file}: cannot read the file (${e.message})`,
        { field: file, cause: e },
      )
      signal()
    },
  })

  async function* batches(): AsyncGenerator<string[][]> {
    for (;;) {
      const batch = queue.shift()
      if (batch) {
        if (paused && queue.length < BATCHES_AHEAD / 2) {
          const p = paused
          paused = undefined
          p.resume()
          text.resume()
        }
        yield batch
        continue
      }
      if (failure) throw failure
      if (finished) return
      await new Promise<void>((resolve) => {
        wake = resolve
      })
    }
  }

  let digest: string | undefined
  return {
    batches: batches(),
    bytesRead: () => bytes,
    sha256: () => {
      digest ??= hash.digest('hex')
      return digest
    },
    close: () => {
      // A reader waiting for the next batch gets none: the file is closed.
      finished = true
      queue.length = 0
      raw.destroy()
      text.destroy()
      signal()
    },
  }
}

/**
 * Decodes the file's bytes as UTF-8 before Papa Parse sees them (a character split between two
 * reads stays whole), and fails on any byte sequence that is not UTF-8: replacing it with U+FFFD,
 * as Node's default decoding does, turned a Latin-1 file's `Müller` and `Möller` into one key.
 * Each read is checked with `isUtf8` and then decoded, ~4× faster than a fatal `TextDecoder`
 * (an ingest of diabetic_data.csv used 20–35 ms less CPU, side by side); the slower search for
 * the bad byte runs only on error. The text's start goes through `startOfText`.
 */
const utf8Decoder = (file: string): Transform => {
  /** File offset of `held`'s first byte. */
  let offset = 0
  /** The start of a character the previous read ended inside. */
  let held = Buffer.alloc(0)
  const start = startOfText()
  return new Transform({
    // Strings go to Papa Parse as they are, not back to bytes.
    readableObjectMode: true,
    transform(chunk: Buffer, _encoding, done) {
      const bytes = held.length ? Buffer.concat([held, chunk]) : chunk
      const end = wholeCharactersEnd(bytes)
      const whole = bytes.subarray(0, end)
      if (!isUtf8(whole)) {
        refuse(file, bytes, offset, done)
        return
      }
      offset += end
      held = Buffer.from(bytes.subarray(end))
      done(null, start(whole.toString('utf8'), false))
    },
    flush(done) {
      if (held.length === 0) done(null, start('', true))
      // A valid start of a character at the very end: the file was cut.
      else if (decodes(held, true)) done(notUtf8(file, 'it ends inside a character'))
      else refuse(file, held, offset, done)
    },
  })
}

/**
 * The start of the text, as Papa Parse must get it: every leading BOM dropped (a tool that adds
 * one to a file that has one leaves two, and U+FEFF would stay, invisible, in the first column's
 * name), and nothing passed on until the first line break is whole, since Papa Parse guesses the
 * line ending from its first chunk alone: a CRLF file whose first line is longer than one read
 * was read as LF, leaving `\r` at the end of every row's last cell. Returns the text to pass on
 * (undefined: nothing yet); `last` at the end of the file.
 */
const startOfText = (): ((text: string, last: boolean) => string | undefined) => {
  /** Text held back so far; undefined once the start has been passed on. */
  let head: string | undefined = ''
  /** The held text ends with a CR, whose LF may come next. */
  let endsWithCr = false
  return (text, last) => {
    if (head === undefined) return text === '' ? undefined : text
    // Only the new text is looked at (the held one may be long): BOMs while nothing else came.
    const fresh = head === '' ? text.replace(/^\uFEFF+/, '') : text
    const cr = fresh.indexOf('\r')
    const whole =
      (endsWithCr && fresh !== '') || fresh.includes('\n') || (cr >= 0 && cr < fresh.length - 1)
    head += fresh
    if (fresh !== '') endsWithCr = fresh.endsWith('\r')
    if (!whole && !last) return undefined
    const out = head
    head = undefined
    return out === '' ? undefined : out
  }
}

/** Fails the read naming the first bad byte of `bytes`, which begin at file offset `offset`. */
const refuse = (file: string, bytes: Buffer, offset: number, done: (e: Error) => void): void => {
  const at = offset + firstInvalidByte(bytes)
  const byte = bytes[at - offset] ?? 0
  const hex = `0x${byte.toString(16).padStart(2, '0').toUpperCase()}`
  lineOf(file, at).then(
    (line) => done(notUtf8(file, `byte ${hex} at line ${line} (byte offset ${at})`)),
    (e: unknown) => done(e as Error),
  )
}

/**
 * Where the last whole character of `bytes` ends: before a final lead byte whose continuation
 * bytes have not all been read yet. Anything else, valid or not, is left for `isUtf8` to judge.
 */
const wholeCharactersEnd = (bytes: Buffer): number => {
  const n = bytes.length
  // A character is at most 4 bytes, so its lead byte is one of the last 4.
  for (let i = n - 1; i >= Math.max(0, n - 4); i--) {
    const b = bytes[i] as number
    // 0b10xxxxxx continues a character; any other byte starts one.
    if ((b & 0xc0) === 0x80) continue
    const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1
    return n - i < length ? i : n
  }
  return n
}

const notUtf8 = (file: string, what: string): AppError =>
  new AppError(
    'VALIDATION',
    `${file}: not UTF-8: ${what}; nothing stored. Save the file as UTF-8 (e.g. \`iconv -f latin1 -t utf-8\`)`,
    { field: file },
  )

/**
 * The 1-based line holding byte `offset` of `file` (line ends: LF, CRLF or a lone CR). Read
 * again from the start, only when a file is refused, so reading a good file counts nothing.
 */
const lineOf = async (file: string, offset: number): Promise<number> => {
  let line = 1
  let afterCr = false
  let seen = 0
  for await (const part of createReadStream(file, { start: 0, end: Math.max(0, offset - 1) })) {
    const bytes = part as Buffer
    for (let i = 0; i < bytes.length && seen < offset; i++, seen++) {
      const b = bytes[i]
      if (b === 0x0a) {
        if (!afterCr) line += 1
        afterCr = false
      } else if (b === 0x0d) {
        line += 1
        afterCr = true
      } else afterCr = false
    }
  }
  return line
}

/**
 * The offset of the first byte that cannot start or continue a valid sequence: the shortest
 * prefix a fresh decoder refuses (in stream mode a prefix ending mid-character is no error, so
 * refusals are monotonic in the prefix length and a binary search finds the first).
 */
const firstInvalidByte = (chunk: Buffer): number => {
  const refuses = (length: number): boolean => !decodes(chunk.subarray(0, length), true)
  let lo = 0
  let hi = chunk.length
  if (!refuses(hi)) return chunk.length
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1
    if (refuses(mid)) hi = mid
    else lo = mid
  }
  let at = hi - 1
  // A byte that breaks a character begun before it: name the character's first byte.
  if (!decodes(chunk.subarray(0, at), false)) {
    while (at > 0 && ((chunk[at - 1] as number) & 0xc0) === 0x80) at -= 1
    at -= 1
  }
  return at
}

/** Whether `bytes` are UTF-8; with `unfinished`, they may end inside a character. */
const decodes = (bytes: Buffer, unfinished: boolean): boolean => {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: unfinished })
    return true
  } catch {
    return false
  }
}
