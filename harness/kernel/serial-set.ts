// A set of audit event serials in bounded memory. The kernel numbers events with one global
// counter, so a run's serials are a dense span of consecutive integers: a bitmap in 8 KiB pages
// (65,536 serials each), allocated only where serials fall, holds 100 million events in ~12 MiB
// where a hash of strings needed gigabytes.
const PAGE_BITS = 16;
const PAGE_SERIALS = 1 << PAGE_BITS;
const PAGE_WORDS = PAGE_SERIALS >>> 5;

export class SerialSet {
  private readonly pages = new Map<number, Uint32Array>();
  private count = 0;

  /** Add a serial (an integer 0 .. 2^32-1); true if it was not in the set. */
  add(serial: number): boolean {
    const key = Math.floor(serial / PAGE_SERIALS);
    let page = this.pages.get(key);
    if (!page) {
      page = new Uint32Array(PAGE_WORDS);
      this.pages.set(key, page);
    }
    const bit = serial - key * PAGE_SERIALS;
    const mask = 1 << (bit & 31);
    const w = bit >>> 5;
    if (page[w]! & mask) return false;
    page[w] = page[w]! | mask;
    this.count++;
    return true;
  }

  has(serial: number): boolean {
    const key = Math.floor(serial / PAGE_SERIALS);
    const page = this.pages.get(key);
    if (!page) return false;
    const bit = serial - key * PAGE_SERIALS;
    return (page[bit >>> 5]! & (1 << (bit & 31))) !== 0;
  }

  get size(): number {
    return this.count;
  }

  /** bytes of bitmap held */
  get bytes(): number {
    return this.pages.size * PAGE_WORDS * 4;
  }

  /** Serials in ascending order. */
  *[Symbol.iterator](): IterableIterator<number> {
    for (const key of [...this.pages.keys()].sort((a, b) => a - b)) {
      const page = this.pages.get(key)!;
      for (let w = 0; w < PAGE_WORDS; w++) {
        let word = page[w]!;
        while (word !== 0) {
          const low = word & -word;
          const b = 31 - Math.clz32(low);
          yield key * PAGE_SERIALS + w * 32 + b;
          word ^= low;
        }
      }
    }
  }

  /** How many serials of this set are also in `other`. */
  countIn(other: SerialSet): number {
    let n = 0;
    for (const [key, page] of this.pages) {
      const o = other.pages.get(key);
      if (!o) continue;
      for (let w = 0; w < PAGE_WORDS; w++) n += popcount(page[w]! & o[w]!);
    }
    return n;
  }

  /** Serials of this set not in `other`, as a new set. */
  minus(other: SerialSet): SerialSet {
    const out = new SerialSet();
    for (const [key, page] of this.pages) {
      const o = other.pages.get(key);
      const copy = new Uint32Array(PAGE_WORDS);
      let n = 0;
      for (let w = 0; w < PAGE_WORDS; w++) {
        const v = o ? page[w]! & ~o[w]! : page[w]!;
        copy[w] = v;
        n += popcount(v);
      }
      if (n) {
        out.pages.set(key, copy);
        out.count += n;
      }
    }
    return out;
  }
}

function popcount(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}
