// A small seeded PRNG (mulberry32): the same seed gives the same sequence on every machine and
// Node version, which Math.random cannot promise. Everything the fuzzer picks goes through it.
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    if (!xs.length) throw new Error('fuzz: pick from an empty list');
    return xs[this.int(xs.length)];
  }
  /** A child generator whose sequence depends only on this seed and `n` (one per run). */
  static derive(seed: number, n: number): Rng {
    return new Rng(Math.imul(seed ^ 0x9e3779b9, 2654435761) + n * 0x85ebca6b);
  }
}
