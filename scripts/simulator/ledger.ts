/** A growable set of small non-negative integers (a unit's reading indices): one bit each. */
export class Bitset {
  private bits = new Uint32Array(64)
  size = 0

  has(i: number): boolean {
    const word = i >>> 5
    return word < this.bits.length && (this.bits[word]! & (1 << (i & 31))) !== 0
  }

  /** Adds `i`; true when it was not there yet. */
  add(i: number): boolean {
    const word = i >>> 5
    if (word >= this.bits.length) {
      const grown = new Uint32Array(Math.max(word + 1, this.bits.length * 2))
      grown.set(this.bits)
      this.bits = grown
    }
    const mask = 1 << (i & 31)
    if ((this.bits[word]! & mask) !== 0) return false
    this.bits[word]! |= mask
    this.size++
    return true
  }

  /** The members, ascending. */
  *values(): Generator<number> {
    for (let w = 0; w < this.bits.length; w++) {
      let word = this.bits[w]!
      while (word !== 0) {
        const bit = 31 - Math.clz32(word & -word)
        yield w * 32 + bit
        word &= word - 1
      }
    }
  }
}

/** Nearest-rank percentile of an ascending array (NaN when empty). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!
}
