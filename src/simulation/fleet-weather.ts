import type { Climate } from './fleet-profiles.js'
import { Rng } from './fleet-random.js'

const STEP_MS = 15 * 60_000
const DAY_MS = 86_400_000

/**
 * Outdoor conditions at one place, per 15-minute step. Shared by all vehicles of an owner, as they
 * drive under the same sky: a daily sine (warmest mid-afternoon), day-to-day weather as a smooth
 * random walk, and the slow cooling of autumn.
 */
export class Weather {
  readonly ambient: Float64Array
  readonly humidity: Float64Array

  constructor(climate: Climate, startMs: number, steps: number, seed: number) {
    const rng = new Rng(seed, `weather:${climate.name}`)
    const days = Math.ceil(steps / 96) + 3
    const warmth: number[] = []
    const damp: number[] = []
    const swing: number[] = []
    let w = rng.gauss(0, 1.5)
    let h = rng.gauss(0, 5)
    for (let d = 0; d < days; d++) {
      w = 0.65 * w + rng.gauss(0, 1.6)
      h = 0.5 * h + rng.gauss(0, 7)
      warmth.push(w)
      damp.push(h)
      swing.push(rng.range(0.6, 1.2))
    }
    this.ambient = new Float64Array(steps)
    this.humidity = new Float64Array(steps)
    const offsetMs = climate.utcOffsetHours * 3_600_000
    const firstLocalDay = Math.floor((startMs + offsetMs) / DAY_MS)
    for (let k = 0; k < steps; k++) {
      const local = startMs + k * STEP_MS + offsetMs
      const hour = (local % DAY_MS) / 3_600_000
      // Day-level values are anchored at local noon and blended with a cosine so that no step jumps.
      const dayPos = (local - (firstLocalDay * DAY_MS + DAY_MS / 2)) / DAY_MS + 1
      const i = Math.max(0, Math.min(days - 2, Math.floor(dayPos)))
      const f = (1 - Math.cos(Math.PI * Math.min(1, Math.max(0, dayPos - i)))) / 2
      const blend = (xs: number[]) => xs[i]! * (1 - f) + xs[i + 1]! * f
      const diurnal = Math.sin((2 * Math.PI * (hour - 9)) / 24)
      const daysIn = (k * STEP_MS) / DAY_MS
      this.ambient[k] =
        climate.meanC - 0.08 * daysIn + blend(warmth) + climate.amplitudeC * blend(swing) * diurnal
      const rh = climate.humidity + blend(damp) - 12 * diurnal
      this.humidity[k] = Math.min(97, Math.max(25, rh))
    }
  }
}
