import { AppError } from '../core/errors.js'
import { markModuleBroken, recentXgbLog, type XgbWasmModule } from './ml-xgboost-module.js'

/**
 * Tracks every heap block and booster handle one operation creates, so a single `release()`
 * in `finally` frees them all, newest first. Nothing is freed once the module has thrown
 * (its state is unknown then, and the thread is about to be discarded anyway).
 */
export class HeapScope {
  readonly #m: XgbWasmModule
  readonly #blocks: number[] = []
  readonly #boosters: number[] = []
  #broken = false

  constructor(m: XgbWasmModule) {
    this.#m = m
  }

  /** Allocates `bytes` on the WASM heap (8-byte aligned, so a float32 view index is ptr >> 2). */
  alloc(bytes: number): number {
    const ptr = this.#m._malloc(Math.max(bytes, 1))
    if (ptr === 0) {
      throw new AppError('UNAVAILABLE', `WASM heap exhausted allocating ${bytes} bytes`)
    }
    this.#blocks.push(ptr)
    return ptr
  }

  /** Frees one block early (e.g. our copy of the data once XGBoost made its own). */
  freeNow(ptr: number): void {
    const at = this.#blocks.lastIndexOf(ptr)
    if (at < 0) return
    this.#blocks.splice(at, 1)
    this.#m._free(ptr)
  }

  /** Registers a booster handle so `release()` frees it with `free_memory_model`. */
  own(booster: number): number {
    if (booster !== 0) this.#boosters.push(booster)
    return booster
  }

  /**
   * Turns whatever the module threw into an AppError (kept as is when already one) and marks
   * the module broken when the throw came from inside XGBoost.
   */
  failure(e: unknown, doing: string): AppError {
    if (e instanceof AppError) return e
    this.#broken = true
    const reason = describeWasmThrow(e)
    markModuleBroken(reason)
    return new AppError('INTERNAL', `ml-xgboost failed while ${doing}: ${reason}`, { cause: e })
  }

  /** Frees every booster, then every block. Call in `finally`. */
  release(): void {
    if (this.#broken) return
    for (let b = this.#boosters.pop(); b !== undefined; b = this.#boosters.pop()) {
      this.#m._free_memory_model(b)
    }
    for (let p = this.#blocks.pop(); p !== undefined; p = this.#blocks.pop()) this.#m._free(p)
  }
}

/**
 * XGBoost's CHECK failures arrive as a thrown string that only says exception catching is
 * disabled; the real message is the last "Check failed" line the module printed.
 */
export const describeWasmThrow = (e: unknown): string => {
  const thrown = e instanceof Error ? e.message : String(e)
  const check = recentXgbLog()
    .filter((l) => l.includes('Check failed') || l.includes('Error'))
    .at(-1)
  // Drop XGBoost's "[hh:mm:ss] file:line:" prefixes; keep the message itself.
  const line = (check ?? thrown).split('\n')[0] ?? thrown
  const at = line.indexOf('Check failed')
  const first = at >= 0 ? line.slice(at) : line
  return first.length > 300 ? `${first.slice(0, 300)}…` : first
}
