/**
 * mulberry32 (Tommy Ettinger's 32-bit generator, public domain): a small seeded PRNG returning
 * uniforms in [0, 1). Everything random in Ward (demo data, fuzzing, benchmark data, test
 * ensembles) draws from a seed through this, so every run is reproducible.
 */
export const mulberry32 = (seed: number): (() => number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
