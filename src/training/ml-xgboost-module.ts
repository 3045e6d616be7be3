import { createRequire } from 'node:module'
import { AppError } from '../core/errors.js'

/**
 * The parts of ml-xgboost's emscripten module (XGBoost 0.7x compiled to wasm32) that we call.
 * The C glue is ml-xgboost's `js-interfaces.cpp`; pointers are byte offsets into the heap.
 */
export interface XgbWasmModule {
  /** Views on the heap. Emscripten replaces them when memory grows: re-read after every call. */
  readonly HEAP8: Int8Array
  readonly HEAPU8: Uint8Array
  readonly HEAPF32: Float32Array
  _malloc(bytes: number): number
  _free(ptr: number): void
  /** `sbrk(0)` is the current top of the malloc arena, our measure of heap use. */
  _sbrk(increment: number): number
  /** Builds a DMatrix (missing = -1) from a row-major float32 matrix and a booster on it. */
  _create_model(data: number, labels: number, rows: number, cols: number): number
  _train_full_model(model: number, rounds: number): void
  /** Saves the booster to the in-memory file system and returns the size in bytes (-1 on error). */
  _save_model(model: number): number
  /** Copies the file written by the last `save_model` into `ptr`. */
  _get_file_content(ptr: number, bytes: number): void
  _load_model(ptr: number, bytes: number): number
  /** Predicts one row (a DMatrix per call) into `out`; returns how many floats it wrote. */
  _predict_one(model: number, row: number, cols: number, out: number): number
  _free_memory_model(model: number): void
  cwrap(name: string, returns: null, args: readonly string[]): (...args: unknown[]) => void
  print: (line: string) => void
  printErr: (line: string) => void
}

interface EmscriptenExports extends XgbWasmModule {
  readonly isReady: Promise<XgbWasmModule>
}

/** How many console lines of the module we keep, to explain a failure. */
const LOG_LINES_KEPT = 20
const recentLog: string[] = []
const remember = (line: string): void => {
  recentLog.push(line)
  if (recentLog.length > LOG_LINES_KEPT) recentLog.shift()
}

let loading: Promise<XgbWasmModule> | undefined
let failure: string | undefined

/**
 * Loads ml-xgboost's WASM module once per thread. Its console output (XGBoost's `LOG(CONSOLE)`
 * lines such as "Tree method is selected to be 'hist'", which `silent` does not mute) goes to a
 * small ring buffer instead of stdout, so it can be quoted in an error.
 */
export const loadMlXgboost = (): Promise<XgbWasmModule> => {
  if (loading === undefined) {
    const require = createRequire(import.meta.url)
    const listenersBefore = new Set(process.listeners('uncaughtException'))
    // The package's main export hides the module; its dist file is the module itself.
    const mod = require('ml-xgboost/dist/wasm/xgboost.js') as EmscriptenExports
    // Emscripten adds an uncaughtException listener that only rethrows; left in place it would
    // turn the host's (vitest's, the server's) own uncaught-error handling into a hard crash.
    for (const l of process.listeners('uncaughtException')) {
      if (!listenersBefore.has(l)) process.off('uncaughtException', l)
    }
    // Set before the (asynchronous) instantiation, which logs a harmless streaming-compile fallback.
    mod.print = remember
    mod.printErr = remember
    loading = mod.isReady.then(() => mod)
  }
  return loading
}

/** The last lines XGBoost printed, newest last. */
export const recentXgbLog = (): readonly string[] => [...recentLog]

/**
 * XGBoost's C++ errors reach JS as a thrown string (this build has exception catching disabled),
 * leaving the module's stack and allocations in an unknown state. After one, we refuse further
 * work in this thread; the worker pool replaces the thread.
 */
export const markModuleBroken = (reason: string): void => {
  failure ??= reason
}

/** True once XGBoost threw in this thread (see {@link markModuleBroken}). */
export const isModuleBroken = (): boolean => failure !== undefined

/** Throws when an earlier call left the module in an unknown state. */
export const assertModuleUsable = (): void => {
  if (failure !== undefined) {
    throw new AppError(
      'INTERNAL',
      `ml-xgboost WASM module is unusable after an earlier failure (${failure}); restart the worker`,
    )
  }
}

/** Heap measures: total WASM memory and the top of the malloc arena (dlmalloc never lowers it). */
export interface WasmHeapStats {
  readonly memoryBytes: number
  readonly arenaTop: number
}

/** Reads {@link WasmHeapStats} from a loaded module. */
export const wasmHeapStats = (m: XgbWasmModule): WasmHeapStats => ({
  memoryBytes: m.HEAP8.length,
  arenaTop: m._sbrk(0),
})
