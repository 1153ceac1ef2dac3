import { parseArgs } from 'node:util'

export type Protocol = 'mqtt' | 'http'
export type Provisioning = 'create' | 'rotate'

export interface SimOptions {
  vehicles: number
  /** Readings per second per vehicle (each unit measures at this rate). */
  rate: number
  protocol: Protocol
  /** The service's HTTP base URL (API, HTTP intake, verification). */
  url: string
  mqttUrl: string
  fleet: string
  /** Readings per vehicle; undefined: until `durationS` passes, or until interrupted. */
  readings: number | undefined
  durationS: number | undefined
  json: boolean
  email: string
  password: string
  /** The customer account that owns created vehicles. */
  owner: string
  provision: Provisioning
  /** Seconds between two sends of a unit: each send carries what it measured since the last one. */
  intervalS: number
  /** Unacknowledged MQTT messages a unit may have before it holds back (HTTP units keep one request open). */
  window: number
  /** Share of readings sent twice, on purpose. */
  duplicates: number
  /** Share of readings sent after their successor, on purpose. */
  outOfOrder: number
  /** A unit's clock is off by up to this many seconds, either way. */
  clockSkewS: number
  seed: number
  /** After the last reading, how long to wait for acknowledgements before giving up. */
  drainTimeoutS: number
}

export class UsageError extends Error {}

/** A clock further ahead than the service's 5 minutes would have its readings refused: not a unit we simulate. */
const MAX_SKEW_S = 60

export const USAGE = `Usage: npm run simulate -- [options]

Replays a fleet file as N telematics units, each with its own VIN and device token, over MQTT
or HTTP, then checks through the range API that every acknowledged reading is stored once.

  --vehicles N        units to simulate (default 10)
  --rate R            readings per second per vehicle (default 1; fractions allowed, at most 1000)
  --protocol P        mqtt | http (default mqtt)
  --url URL           the service (default http://127.0.0.1:8000)
  --mqtt-url URL      its MQTT broker (default mqtt://<host of --url>:1883)
  --fleet CSV         fleet file to take values from (default data/fleet_15min.csv)
  --readings N        readings per vehicle, then stop
  --duration S        seconds to run, then stop (neither: until Ctrl-C)
  --json              print a machine-readable summary on stdout (progress goes to stderr)
  --email E / --password P   manufacturer login (default admin@oem.com / admin_pass)
  --owner EMAIL       owner of created vehicles (default user@demo.com)
  --provision M       create: new vehicles with fresh VINs (default); rotate: new tokens for existing ones
  --interval S        seconds between a unit's sends (default 1)
  --window N          unacknowledged MQTT messages per unit (default 16)
  --duplicates F      share of readings sent twice on purpose (default 0.01)
  --out-of-order F    share of readings sent after their successor (default 0.01)
  --clock-skew S      largest clock error of a unit, seconds either way (default 3, at most ${MAX_SKEW_S})
  --seed N            seed for skews, duplicates and reordering (default 1)
  --drain-timeout S   wait this long for the last acknowledgements (default 60)

Exit codes: 0 every acknowledged reading stored exactly once; 1 verification failed (an
acknowledged reading missing or stored twice); 2 usage error; 3 the run could not complete (login,
provisioning, or readings still unacknowledged at the drain deadline).`

function number(
  name: string,
  text: string | undefined,
  fallback: number,
  check: (n: number) => boolean,
  what: string,
): number {
  if (text === undefined) return fallback
  const n = Number(text)
  if (text.trim() === '' || !Number.isFinite(n) || !check(n))
    throw new UsageError(`--${name} must be ${what}, got ${JSON.stringify(text)}`)
  return n
}

const positiveInt = (n: number) => Number.isInteger(n) && n > 0
const share = (n: number) => n >= 0 && n <= 0.2

export function parseSimArgs(argv: readonly string[]): SimOptions | 'help' {
  let values: Record<string, string | boolean | undefined>
  try {
    ;({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        vehicles: { type: 'string' },
        rate: { type: 'string' },
        protocol: { type: 'string' },
        url: { type: 'string' },
        'mqtt-url': { type: 'string' },
        fleet: { type: 'string' },
        readings: { type: 'string' },
        duration: { type: 'string' },
        json: { type: 'boolean' },
        email: { type: 'string' },
        password: { type: 'string' },
        owner: { type: 'string' },
        provision: { type: 'string' },
        interval: { type: 'string' },
        window: { type: 'string' },
        duplicates: { type: 'string' },
        'out-of-order': { type: 'string' },
        'clock-skew': { type: 'string' },
        seed: { type: 'string' },
        'drain-timeout': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }))
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  if (values.help) return 'help'
  const str = (name: string) => values[name] as string | undefined

  const protocol = str('protocol') ?? 'mqtt'
  if (protocol !== 'mqtt' && protocol !== 'http')
    throw new UsageError(`--protocol must be mqtt or http, got ${JSON.stringify(protocol)}`)
  const provision = str('provision') ?? 'create'
  if (provision !== 'create' && provision !== 'rotate')
    throw new UsageError(`--provision must be create or rotate, got ${JSON.stringify(provision)}`)
  if (str('readings') !== undefined && str('duration') !== undefined)
    throw new UsageError('give --readings or --duration, not both')

  const url = parseUrl('url', str('url') ?? 'http://127.0.0.1:8000', ['http:', 'https:'])
  const mqttUrl = parseUrl('mqtt-url', str('mqtt-url') ?? `mqtt://${url.hostname}:1883`, ['mqtt:', 'mqtts:'])
  const readings = str('readings')
  const duration = str('duration')
  return {
    vehicles: number('vehicles', str('vehicles'), 10, positiveInt, 'a positive integer'),
    rate: number('rate', str('rate'), 1, (n) => n > 0 && n <= 1000, 'a number in (0, 1000]'),
    protocol,
    url: url.origin,
    mqttUrl: mqttUrl.toString(),
    fleet: str('fleet') ?? 'data/fleet_15min.csv',
    readings:
      readings === undefined ? undefined : number('readings', readings, 0, positiveInt, 'a positive integer'),
    durationS: duration === undefined ? undefined : number('duration', duration, 0, (n) => n > 0, 'positive'),
    json: values.json === true,
    email: str('email') ?? 'admin@oem.com',
    password: str('password') ?? 'admin_pass',
    owner: str('owner') ?? 'user@demo.com',
    provision,
    intervalS: number('interval', str('interval'), 1, (n) => n >= 0.05 && n <= 60, 'seconds in [0.05, 60]'),
    window: number(
      'window',
      str('window'),
      16,
      (n) => positiveInt(n) && n <= 1000,
      'an integer in [1, 1000]',
    ),
    duplicates: number('duplicates', str('duplicates'), 0.01, share, 'a share in [0, 0.2]'),
    outOfOrder: number('out-of-order', str('out-of-order'), 0.01, share, 'a share in [0, 0.2]'),
    clockSkewS: number(
      'clock-skew',
      str('clock-skew'),
      3,
      (n) => n >= 0 && n <= MAX_SKEW_S,
      `seconds in [0, ${MAX_SKEW_S}]`,
    ),
    seed: number('seed', str('seed'), 1, Number.isSafeInteger, 'an integer'),
    drainTimeoutS: number('drain-timeout', str('drain-timeout'), 60, (n) => n > 0, 'positive seconds'),
  }
}

function parseUrl(name: string, text: string, protocols: string[]): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new UsageError(`--${name} is not a URL: ${JSON.stringify(text)}`)
  }
  if (!protocols.includes(url.protocol))
    throw new UsageError(`--${name} must start with ${protocols.map((p) => `${p}//`).join(' or ')}`)
  return url
}
