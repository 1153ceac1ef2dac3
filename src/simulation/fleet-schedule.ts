import type { UsagePattern } from './fleet-profiles.js'
import type { Rng } from './fleet-random.js'

export const SLOTS_PER_DAY = 96
const SLOT_MINUTES = 15
const DAY_MINUTES = 1440

/** What a vehicle does during one 15-minute slot of its local day. */
export interface Slot {
  /** Fraction of the slot spent moving (minute resolution, so a multiple of 1/15). */
  drive: number
  /** Mean speed while moving, km/h. */
  speed: number
  /** Route roughness, 0-1. */
  rough: number
  /** How much stop-and-go traffic, 0-1. */
  stopGo: number
  /** Payload on board (passengers or cargo), kg. */
  payload: number
}

export interface DayPlan {
  slots: Slot[]
  /** The vehicle is at home (or the depot), near its charger, before this local minute... */
  firstStartMin: number
  /** ...and from this local minute on. */
  lastEndMin: number
}

interface Trip {
  start: number
  duration: number
  speed: number
  rough: number
  stopGo: number
  payload: number
}

/** 0 = Sunday. Day 0 of the epoch, 1970-01-01, was a Thursday. */
export function weekdayOf(localDay: number): number {
  return (((localDay + 4) % 7) + 7) % 7
}

function commuterTrips(weekday: number, rng: Rng): Trip[] {
  const riders = () => rng.range(75, 240)
  if (weekday >= 1 && weekday <= 5) {
    const trips: Trip[] = [
      {
        start: Math.round(Math.min(540, Math.max(360, rng.gauss(450, 25)))),
        duration: rng.int(25, 55),
        speed: rng.range(35, 65),
        rough: rng.range(0.12, 0.3),
        stopGo: rng.range(0.25, 0.45),
        payload: rng.range(75, 120),
      },
    ]
    if (rng.chance(0.35)) {
      trips.push({
        start: rng.int(705, 795),
        duration: rng.int(12, 35),
        speed: rng.range(25, 45),
        rough: rng.range(0.2, 0.4),
        stopGo: rng.range(0.6, 0.8),
        payload: riders(),
      })
    }
    trips.push({
      start: Math.round(Math.min(1200, Math.max(930, rng.gauss(1050, 40)))),
      duration: rng.int(30, 70),
      speed: rng.range(35, 60),
      rough: rng.range(0.12, 0.3),
      stopGo: rng.range(0.3, 0.6),
      payload: rng.range(75, 120),
    })
    if (rng.chance(0.2)) {
      trips.push({
        start: rng.int(1170, 1290),
        duration: rng.int(15, 40),
        speed: rng.range(30, 55),
        rough: rng.range(0.15, 0.35),
        stopGo: rng.range(0.4, 0.7),
        payload: riders(),
      })
    }
    return trips
  }
  // Weekend: errands, and now and then a long highway trip there and back that needs a fast charge.
  const trips: Trip[] = []
  if (rng.chance(0.25)) {
    const out = rng.int(540, 660)
    const duration = rng.int(80, 150)
    trips.push({
      start: out,
      duration,
      speed: rng.range(95, 115),
      rough: 0.1,
      stopGo: 0.1,
      payload: riders(),
    })
    trips.push({
      start: out + duration + rng.int(180, 300),
      duration: duration + rng.int(-10, 10),
      speed: rng.range(95, 115),
      rough: 0.1,
      stopGo: 0.1,
      payload: riders(),
    })
  }
  const errands = rng.int(1, 3)
  for (let i = 0; i < errands; i++) {
    trips.push({
      start: rng.int(540, 1140),
      duration: rng.int(15, 80),
      speed: rng.range(30, 65),
      rough: rng.range(0.15, 0.4),
      stopGo: rng.range(0.4, 0.7),
      payload: riders(),
    })
  }
  return trips
}

function deliveryTrips(weekday: number, rng: Rng): Trip[] {
  if (weekday === 0 || (weekday === 6 && rng.chance(0.3))) return []
  const shiftEnd = weekday === 6 ? rng.int(750, 810) : rng.int(990, 1050)
  let t = rng.int(450, 495)
  let payload = rng.range(600, 1150)
  let lunched = false
  const trips: Trip[] = []
  while (t < shiftEnd) {
    const duration = rng.int(8, 35)
    trips.push({
      start: t,
      duration,
      speed: rng.range(25, 60),
      rough: rng.range(0.3, 0.6),
      stopGo: rng.range(0.6, 0.9),
      payload,
    })
    t += duration + rng.int(5, 20)
    payload = Math.max(40, payload - rng.range(30, 110))
    if (!lunched && t >= 720) {
      t += 40
      lunched = true
    }
  }
  return trips
}

function urbanTrips(rng: Rng): Trip[] {
  const n = rng.int(3, 6)
  const trips: Trip[] = []
  for (let i = 0; i < n; i++) {
    trips.push({
      start: rng.int(420, 1290),
      duration: rng.int(8, 30),
      speed: rng.range(18, 42),
      rough: rng.range(0.2, 0.45),
      stopGo: rng.range(0.6, 0.85),
      payload: rng.range(70, 180),
    })
  }
  return trips
}

function emptySlot(): Slot {
  return { drive: 0, speed: 0, rough: 0, stopGo: 0, payload: 0 }
}

/** Random trips for one local day, laid onto 96 slots. Trips never overlap and end before midnight. */
export function planDay(usage: UsagePattern, weekday: number, rng: Rng): DayPlan {
  const raw =
    usage === 'commuter'
      ? commuterTrips(weekday, rng)
      : usage === 'delivery'
        ? deliveryTrips(weekday, rng)
        : urbanTrips(rng)
  raw.sort((a, b) => a.start - b.start)

  const trips: Trip[] = []
  let free = 0
  for (const trip of raw) {
    const start = Math.max(trip.start, free)
    const duration = Math.min(trip.duration, DAY_MINUTES - SLOT_MINUTES - start)
    if (duration < 5) continue
    trips.push({ ...trip, start, duration })
    free = start + duration + 10
  }

  const moving = new Float64Array(SLOTS_PER_DAY)
  const slots = Array.from({ length: SLOTS_PER_DAY }, emptySlot)
  for (const trip of trips) {
    const end = trip.start + trip.duration
    for (let s = Math.floor(trip.start / SLOT_MINUTES); s * SLOT_MINUTES < end; s++) {
      const minutes = Math.min(end, (s + 1) * SLOT_MINUTES) - Math.max(trip.start, s * SLOT_MINUTES)
      const slot = slots[s]!
      // Accumulate minute-weighted sums, normalised below.
      slot.speed += trip.speed * minutes
      slot.rough += trip.rough * minutes
      slot.stopGo += trip.stopGo * minutes
      slot.payload += trip.payload * minutes
      moving[s]! += minutes
    }
  }
  for (let s = 0; s < SLOTS_PER_DAY; s++) {
    const minutes = moving[s]!
    if (minutes === 0) continue
    const slot = slots[s]!
    slot.drive = minutes / SLOT_MINUTES
    slot.speed /= minutes
    slot.rough /= minutes
    slot.stopGo /= minutes
    slot.payload /= minutes
  }
  // Cargo stays on board while a van is stopped at a delivery.
  if (usage === 'delivery') {
    let last = 0
    for (let s = 0; s < SLOTS_PER_DAY; s++) {
      const slot = slots[s]!
      if (slot.drive > 0) last = slot.payload
      else if (last > 0 && s * SLOT_MINUTES < (trips.at(-1)?.start ?? 0)) slot.payload = last
    }
  }

  const first = trips[0]
  const last = trips.at(-1)
  return {
    slots,
    firstStartMin: first ? first.start : DAY_MINUTES,
    lastEndMin: last ? last.start + last.duration : 0,
  }
}
