import { AppError, type ErrorCode } from '../core/errors.js'
import type { TrainBoosterRequest } from './ml-xgboost-adapter.js'

/** Where and when a job ran, for logs and metrics. */
export interface WorkerRunInfo {
  readonly threadId: number
  /** Epoch milliseconds (fractional) when training started and finished. */
  readonly startedAtMs: number
  readonly finishedAtMs: number
  /** Bytes of WASM memory the worker holds afterwards (it never shrinks). */
  readonly wasmMemoryBytes: number
}

/** Pool → worker: one training job. */
export interface TrainJobMessage {
  readonly id: number
  readonly request: TrainBoosterRequest
}

/** An AppError flattened for `postMessage` (structured clone drops the class). */
export interface WireError {
  readonly code: ErrorCode
  readonly message: string
  readonly field?: string
}

/** Worker → pool: the outcome of one job. */
export type TrainReplyMessage =
  | {
      readonly id: number
      readonly ok: true
      readonly modelBytes: Uint8Array
      readonly run: WorkerRunInfo
    }
  | {
      readonly id: number
      readonly ok: false
      readonly error: WireError
      /** The WASM module threw: the worker must not be reused. */
      readonly fatal: boolean
    }

/** Flattens an AppError for the wire. */
export const toWireError = (e: AppError): WireError =>
  e.field === undefined
    ? { code: e.code, message: e.message }
    : { code: e.code, message: e.message, field: e.field }

/** Rebuilds the AppError on the caller's side. */
export const fromWireError = (w: WireError): AppError =>
  new AppError(w.code, w.message, w.field === undefined ? {} : { field: w.field })
