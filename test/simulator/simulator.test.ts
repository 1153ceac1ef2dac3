import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { resolve } from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseSimArgs, type SimOptions } from '../../scripts/simulator/args.js'
import { runSimulation } from '../../scripts/simulator/run.js'
import type { Unit } from '../../scripts/simulator/unit.js'
import { createTestApp, type TestApp } from '../helpers/app.js'
import { DB_KINDS } from '../helpers/db.js'

const ROOT = resolve(import.meta.dirname, '../..')

/**
 * The simulator (scripts/simulate.ts) against a real listening app with its embedded MQTT broker,
 * both on free ports: small fleets, a few hundred readings, checked in telemetry_logs.
 */
describe.each(DB_KINDS)('vehicle simulator on %s', (kind) => {
  let t: TestApp
  let url = ''
  let mqttUrl = ''

  const options = (...args: string[]): SimOptions => {
    const parsed = parseSimArgs([
      '--url',
      url,
      '--mqtt-url',
      mqttUrl,
      '--vehicles',
      '5',
      '--rate',
      '20',
      '--readings',
      '60',
      '--interval',
      '0.5',
      '--duplicates',
      '0.05',
      '--out-of-order',
      '0.05',
      '--drain-timeout',
      '20',
      ...args,
    ])
    if (parsed === 'help') throw new Error('unexpected help')
    return parsed
  }
  const quiet = { log: () => {} }

  /** Per unit: stored rows, distinct timestamps, and whether each acknowledged one is among them. */
  const storedFor = async (unit: Unit) => {
    const rows = await sql<{
      ts: Date
    }>`select t.ts from telemetry_logs t join vehicles v on v.id = t.vehicle_id
      where v.vin = ${unit.vin}`.execute(t.db.db)
    const times = rows.rows.map((r) => r.ts.getTime())
    const absent = [...unit.acked.values()].filter((s) => !times.includes(unit.timestampOf(s)))
    return { rows: times.length, distinct: new Set(times).size, absent }
  }

  beforeAll(async () => {
    t = await createTestApp(kind, { MQTT_PORT: '0', MQTT_HOST: '127.0.0.1' })
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    await t.app.services.mqtt!.start()
    const address = t.app.server.address()
    if (!address || typeof address === 'string') throw new Error('not listening')
    url = `http://127.0.0.1:${address.port}`
    mqttUrl = `mqtt://127.0.0.1:${t.app.services.mqtt!.stats.port}`
  })
  afterAll(async () => {
    await t?.close()
  })

  it.each(['mqtt', 'http'] as const)(
    'over %s: every acknowledged reading stored once, duplicates answered as such, swaps counted late',
    async (protocol) => {
      const { pipeline } = t.app.services
      const before = { ...pipeline.stats, mqttDuplicates: t.app.services.mqtt!.stats.duplicates }
      const { summary, units } = await runSimulation(options('--protocol', protocol), quiet)

      expect(summary.exit_code).toBe(0)
      expect(summary.verification).toMatchObject({ ok: true, missing: 0, duplicated: 0, acknowledged: 300 })
      expect(summary.readings).toMatchObject({ acknowledged: 300, rejected: 0, unacknowledged: 0 })
      expect(summary.ack_latency_ms.n).toBe(summary.messages.acknowledged)
      expect(summary.ack_latency_ms.p99).toBeGreaterThanOrEqual(summary.ack_latency_ms.p50)
      for (const unit of units) {
        const stored = await storedFor(unit)
        expect(stored).toEqual({ rows: 60, distinct: 60, absent: [] })
      }

      // The seed makes some of each on purpose; the service saw exactly those.
      const { duplicates_sent, out_of_order_sent } = summary.readings
      expect(duplicates_sent).toBeGreaterThan(0)
      expect(out_of_order_sent).toBeGreaterThan(0)
      expect(pipeline.stats.duplicate - before.duplicate).toBe(duplicates_sent)
      expect(pipeline.stats.late - before.late).toBe(out_of_order_sent)
      if (protocol === 'http') expect(summary.readings.duplicates_answered).toBe(duplicates_sent)
      else expect(t.app.services.mqtt!.stats.duplicates - before.mqttDuplicates).toBe(duplicates_sent)
    },
  )

  it('fails the verification (exit 1) when an acknowledged reading is not stored', async () => {
    const { summary } = await runSimulation(options('--protocol', 'mqtt', '--vehicles', '2'), {
      ...quiet,
      beforeVerify: async ([unit]) => {
        const ts = new Date(unit!.timestampOf(7))
        await sql`delete from telemetry_logs where ts = ${ts} and vehicle_id =
          (select id from vehicles where vin = ${unit!.vin})`.execute(t.db.db)
      },
    })
    expect(summary.exit_code).toBe(1)
    expect(summary.verification).toMatchObject({ ok: false, missing: 1, duplicated: 0 })
    expect(summary.verification!.failures).toHaveLength(1)
    expect(summary.verification!.failures[0]).toMatchObject({ missing: 1, acknowledged: 60, stored: 59 })
  })

  it('rotates the tokens of existing vehicles instead of creating new ones', async () => {
    const vehicles = (await t.app.services.repos.vehicles.listActive()).length
    const { summary, units } = await runSimulation(
      options('--protocol', 'http', '--provision', 'rotate', '--vehicles', '2', '--readings', '20'),
      quiet,
    )
    expect(summary.exit_code).toBe(0)
    expect(summary.verification).toMatchObject({ ok: true, acknowledged: 40, stored: 40 })
    expect((await t.app.services.repos.vehicles.listActive()).length).toBe(vehicles)
    expect(await t.app.services.devices.authenticate(units[0]!.plan.token)).toMatchObject({
      vin: units[0]!.vin,
    })
  })

  it('exits 3 without streaming when the login is refused', async () => {
    const { summary } = await runSimulation(options('--password', 'wrong'), quiet)
    expect(summary.exit_code).toBe(3)
    expect(summary.error).toMatch(/setup: POST \/api\/auth\/login: 401/)
    expect(summary.readings.sent).toBe(0)
  })

  it.runIf(kind === 'pglite')(
    'runs as npm run simulate: progress lines, a JSON summary and exit 0',
    async () => {
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          'scripts/simulate.ts',
          ...['--url', url, '--protocol', 'http', '--vehicles', '2', '--rate', '10', '--readings', '20'],
          '--json',
        ],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      )
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d) => (stdout += d))
      child.stderr.on('data', (d) => (stderr += d))
      const [code] = await once(child, 'exit')
      expect(code).toBe(0)
      const summary = JSON.parse(stdout)
      expect(summary).toMatchObject({
        protocol: 'http',
        vehicles: 2,
        exit_code: 0,
        verification: { ok: true },
      })
      expect(summary.readings.acknowledged).toBe(40)
      expect(typeof summary.ack_latency_ms.p95).toBe('number')
      expect(summary.readings_per_second).toBeGreaterThan(0)
      expect(stderr).toMatch(
        /^\[\s*\d+s\] sent \d+ {2}acked \d+ {2}rejected 0 {2}retries \d+ {2}in flight \d+$/m,
      )
      expect(stderr).toMatch(/verified: 40 stored of 40 acknowledged, 0 missing, 0 stored twice: OK/)
    },
  )

  it.runIf(kind === 'pglite')('answers a bad option with the usage and exit 2', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/simulate.ts', '--protocol', 'smtp'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    const [code] = await once(child, 'exit')
    expect(code).toBe(2)
    expect(stderr).toMatch(/--protocol must be mqtt or http, got "smtp"/)
    expect(stderr).toMatch(/Usage: npm run simulate/)
  })
})
