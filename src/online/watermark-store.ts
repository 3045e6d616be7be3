/**
 * Per-view materialization watermark: rows with event time up to it are in the online store.
 * `postgres-watermark-store.ts` keeps it in the offline database (table
 * `materialization_watermarks`); `MemoryWatermarkStore` suits tests and a memory online store
 * without a snapshot, whose data dies with the process and must not leave a watermark behind.
 */
export interface WatermarkStore {
  get(view: string): Promise<Date | undefined>
  set(view: string, watermark: Date): Promise<void>
}

/** Watermarks held in a Map, for as long as the process lives. */
export class MemoryWatermarkStore implements WatermarkStore {
  private readonly marks = new Map<string, Date>()

  async get(view: string): Promise<Date | undefined> {
    const mark = this.marks.get(view)
    return mark === undefined ? undefined : new Date(mark)
  }

  async set(view: string, watermark: Date): Promise<void> {
    this.marks.set(view, new Date(watermark))
  }
}
