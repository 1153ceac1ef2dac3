import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64'
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus'
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator'

/** murmur3's 32-bit finaliser: spreads nearby seeds (42, 43) into unrelated generator states. */
function fmix32(h: number): number {
  let x = h >>> 0
  x ^= x >>> 16
  x = Math.imul(x, 0x85ebca6b)
  x ^= x >>> 13
  x = Math.imul(x, 0xc2b2ae35)
  x ^= x >>> 16
  return x >>> 0
}

function hashString(text: string, seed: number): number {
  let h = fmix32(seed ^ 0x9e3779b9)
  for (let i = 0; i < text.length; i++) h = fmix32(h ^ Math.imul(text.charCodeAt(i), 0x01000193))
  return h
}

/**
 * A seeded random stream. Each consumer (the fault planner, each vehicle, each climate) gets its
 * own stream keyed by a name, so adding a draw in one place never shifts the numbers of another.
 */
export class Rng {
  private readonly gen: RandomGenerator

  constructor(seed: number, stream: string) {
    this.gen = xoroshiro128plus(hashString(stream, seed) | 0)
    // The first outputs of xoroshiro from a sparse state are poorly mixed.
    for (let i = 0; i < 16; i++) this.gen.next()
  }

  /** Uniform in [0, 1). */
  next(): number {
    return uniformFloat64(this.gen)
  }

  range(min: number, max: number): number {
    return min + (max - min) * this.next()
  }

  /** Integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  chance(p: number): boolean {
    return this.next() < p
  }

  private spare = Number.NaN

  /** Standard normal (Box-Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const z = this.spare
      this.spare = Number.NaN
      return z
    }
    const r = Math.sqrt(-2 * Math.log(1 - this.next()))
    const theta = 2 * Math.PI * this.next()
    this.spare = r * Math.sin(theta)
    return r * Math.cos(theta)
  }

  /** Normal with the given mean and standard deviation. */
  gauss(mean: number, sd: number): number {
    return mean + sd * this.normal()
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list')
    return items[Math.floor(this.next() * items.length)]!
  }

  /** Fisher-Yates on a copy. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items]
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1))
      const tmp = out[i]!
      out[i] = out[j]!
      out[j] = tmp
    }
    return out
  }
}
