import { AppError } from '../../core/errors.js'

/**
 * A bounds-checked little-endian cursor over untrusted bytes. Every read checks the remaining
 * length first and fails with `CORRUPT_MODEL` naming the byte offset, so a truncated or hostile
 * file can never make the caller read past the end or allocate more than the file holds.
 *
 * Reads go through a DataView at explicit offsets because the legacy XGBoost format has no
 * alignment padding (typed-array views would throw on odd offsets).
 */
export class ByteReader {
  private readonly view: DataView
  private pos = 0

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  /** Current byte offset. */
  get offset(): number {
    return this.pos
  }

  /** Bytes left after the cursor. */
  get remaining(): number {
    return this.bytes.byteLength - this.pos
  }

  /** Throws `CORRUPT_MODEL` naming `what` and the offset `at` (default: the cursor). */
  fail(what: string, at: number = this.pos): never {
    throw new AppError('CORRUPT_MODEL', `corrupt model at byte ${at}: ${what}`, {
      field: 'model',
      details: { offset: at },
    })
  }

  /** Ensures `n` more bytes exist before a read of `what`. */
  need(n: number, what: string): void {
    if (n > this.remaining) {
      this.fail(`${what} needs ${n} bytes, only ${this.remaining} left`)
    }
  }

  /** Moves the cursor to an absolute offset inside the buffer. */
  seek(offset: number): void {
    if (offset < 0 || offset > this.bytes.byteLength) this.fail(`seek out of range`, offset)
    this.pos = offset
  }

  skip(n: number, what: string): void {
    this.need(n, what)
    this.pos += n
  }

  i32(what: string): number {
    this.need(4, what)
    const v = this.view.getInt32(this.pos, true)
    this.pos += 4
    return v
  }

  u32(what: string): number {
    this.need(4, what)
    const v = this.view.getUint32(this.pos, true)
    this.pos += 4
    return v
  }

  f32(what: string): number {
    this.need(4, what)
    const v = this.view.getFloat32(this.pos, true)
    this.pos += 4
    return v
  }

  /** Reads a uint64 that must fit in the remaining bytes when multiplied by `unitSize`. */
  length(what: string, unitSize: number): number {
    const at = this.pos
    this.need(8, what)
    const lo = this.view.getUint32(this.pos, true)
    const hi = this.view.getUint32(this.pos + 4, true)
    this.pos += 8
    if (hi !== 0 || lo * unitSize > this.remaining) {
      this.fail(`${what} ${hi * 2 ** 32 + lo} exceeds the ${this.remaining} bytes left`, at)
    }
    return lo
  }

  /** Reads `n` raw bytes as Latin-1 text (the legacy format's strings are plain ASCII). */
  text(n: number, what: string): string {
    this.need(n, what)
    let s = ''
    for (let i = 0; i < n; i++) s += String.fromCharCode(this.bytes[this.pos + i] as number)
    this.pos += n
    return s
  }

  /** A uint64-length-prefixed string. */
  string(what: string): string {
    const n = this.length(`${what} length`, 1)
    return this.text(n, what)
  }

  /** Non-advancing reads at absolute offsets, for record arrays already bounds-checked. */
  i32At(offset: number): number {
    return this.view.getInt32(offset, true)
  }

  u32At(offset: number): number {
    return this.view.getUint32(offset, true)
  }

  f32At(offset: number): number {
    return this.view.getFloat32(offset, true)
  }
}
