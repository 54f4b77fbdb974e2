// A small seeded pseudo-random generator (SplitMix32-style mixing of a Weyl sequence), so that
// every stack's entropy and every wire's impairments are reproducible from a seed.
// Not for cryptography: the stack's ISN/cookie secrets come from here only in tests and demos.

export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** 32 random bits as an unsigned number. */
  u32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** A float in [0, 1). */
  float(): number {
    return this.u32() / 0x1_0000_0000;
  }

  /** True with probability p (0 never draws true, 1 always does). */
  chance(p: number): boolean {
    return p > 0 && this.float() < p;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** A new generator whose sequence is independent of this one's (for per-object seeds). */
  fork(): Rng {
    return new Rng(this.u32());
  }
}
