import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { FLEET_VEHICLES, type FleetVehicle } from '../../src/simulation/fleet.js'
import { syntheticFleet } from '../../src/simulation/fleet-generator.js'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const SHIPPED_CSV = join(ROOT, 'data/fleet_15min.csv')

export interface BenchFleet {
  label: string
  csv: string
  /** Vehicles to add to the database beyond the seeded demo fleet. */
  extraVehicles: FleetVehicle[]
  vehicles: number
}

export function shippedFleet(): BenchFleet {
  return {
    label: `shipped (${FLEET_VEHICLES.length} vehicles)`,
    csv: SHIPPED_CSV,
    extraVehicles: [],
    vehicles: 10,
  }
}

/**
 * A generated fleet of `count` synthetic vehicles over `days` days, written once with
 * `npm run dataset` into the temp directory and reused by later runs.
 */
export function generatedFleet(count: number, days: number, seed = 42): BenchFleet {
  const dir = join(os.tmpdir(), 'autonoma-bench')
  mkdirSync(dir, { recursive: true })
  const csv = join(dir, `fleet-${count}v-${days}d-s${seed}.csv`)
  if (!existsSync(csv)) {
    console.log(`  generating ${count} vehicles x ${days} days (seed ${seed}) -> ${csv}`)
    execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'scripts/generate-dataset.ts'),
        '--vehicles',
        String(count),
        '--days',
        String(days),
        '--seed',
        String(seed),
        '--out',
        csv,
        '--faults',
        csv.replace(/\.csv$/, '-faults.json'),
      ],
      { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
    )
  }
  return {
    label: `generated (${count} vehicles)`,
    csv,
    extraVehicles: syntheticFleet(count),
    vehicles: count,
  }
}
