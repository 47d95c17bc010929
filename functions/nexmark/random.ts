/**
 * A small seeded random generator for the Nexmark generator. Every event gets its own
 * generator seeded from (seed, event number), as Beam's generator seeds a java.util.Random with
 * the event id, so an event is a pure function of its number whichever subtask makes it.
 */
export class EventRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, eventNumber: number) {
    // splitmix-style scrambling of both inputs into the 128-bit state of sfc32.
    this.a = scramble(seed ^ 0x9e3779b9);
    this.b = scramble(eventNumber % 0x100000000);
    this.c = scramble(Math.floor(eventNumber / 0x100000000) ^ this.a);
    this.d = 1;
    for (let i = 0; i < 8; i++) this.next32();
  }

  /** sfc32: a 32-bit small fast counting generator. */
  next32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  nextDouble(): number {
    return this.next32() / 0x100000000;
  }

  /** Uniform integer in [0, bound) for bound >= 1 (bounds up to 2^53). */
  nextInt(bound: number): number {
    return Math.floor(this.nextDouble() * bound);
  }

  /** A string of `length` (at most 4096) lowercase letters and spaces (Beam's nextString). */
  nextString(length: number): string {
    const n = Math.min(length, LETTERS.length);
    return LETTERS.substr(this.nextInt(LETTERS.length - n + 1), n);
  }
}

/** Random letters to cut strings from (one pool: cutting is cheap, making letters one by one is not). */
const LETTERS = ((): string => {
  const r = new EventRandom(0x5eed, 0);
  let s = '';
  for (let i = 0; i < 4096; i++) {
    const k = r.next32() % 27;
    s += k === 26 ? ' ' : String.fromCharCode(97 + k);
  }
  return s;
})();

function scramble(x: number): number {
  let h = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}
