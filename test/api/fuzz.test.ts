import fc from 'fast-check'
import type { InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FLEET_VEHICLES } from '../../src/simulation/fleet.js'
import { bearer, createTestApp, DEMO, login, type TestApp } from '../helpers/app.js'

/**
 * Walks the OpenAPI document and sends generated bad input to every route's params, query and
 * body, as every kind of caller. Nothing a client sends may give a 5xx, and every 4xx says what
 * was wrong with a machine-readable code.
 */

interface JsonSchema {
  type?: string | string[]
  properties?: Record<string, JsonSchema>
  items?: JsonSchema
  enum?: unknown[]
  format?: string
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  $ref?: string
}
interface Operation {
  method: string
  path: string
  /** Who may call it, read from the description the access plugin writes. */
  allowed: string[]
  params: string[]
  query: string[]
  body: JsonSchema | undefined
}

const NASTY_STRINGS = [
  '\u0000',
  'a\u0000b',
  'name\u0007',
  '\u001b[31mred',
  '\uD800',
  'x\uDFFFy',
  '9999-12-31T23:59:59Z',
  '+275760-09-13T00:00:00.000Z',
  '0000-01-01T00:00:00Z',
  '1969-12-31T23:59:59Z',
  '2024-02-30T10:00:00Z',
  '2026-13-01T00:00:00+25:00',
  '',
  ' ',
  '-1',
  '1e309',
  'NaN',
  'Infinity',
  'null',
  '../../etc/passwd',
  '%00',
  "' OR 1=1 --",
  '<script>alert(1)</script>',
  'x'.repeat(5000),
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '12345678901234567',
  'AAAAAAAAAAAAAAAAA',
  'PENDING,,,',
  '__proto__',
  'constructor',
  'W1siMjAyNi0wMS0wMVQwMDowMDowMFoiLCJ4Il1d',
  '\u202e\ufeff',
  '😀'.repeat(300),
]

const nastyString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
)
const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: nastyString },
  fc.integer(),
  fc.double(),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, -1, 0, 1e308, -1e308, 253402300799999, 8.64e15, 2 ** 31),
  fc.boolean(),
  fc.constant(null),
  fc.array(nastyString, { maxLength: 3 }),
  fc.dictionary(nastyString, nastyString, { maxKeys: 3 }),
)

function deref(
  schema: JsonSchema | undefined,
  components: Record<string, JsonSchema>,
): JsonSchema | undefined {
  if (!schema?.$ref) return schema
  return components[schema.$ref.split('/').pop() ?? '']
}

interface PropertySchema extends JsonSchema {
  pattern?: string
  minLength?: number
}

/** A value the schema likely accepts, so that a request gets past validation to the handler. */
function plausible(schema: PropertySchema | undefined, name: string): fc.Arbitrary<unknown> {
  if (!schema) return nastyValue
  const variants = schema.anyOf ?? schema.oneOf
  if (variants) return plausible(variants.find((v) => v.type !== 'null') as PropertySchema, name)
  if (schema.enum) return fc.constantFrom(...schema.enum)
  if (schema.format === 'uuid') return fc.uuid()
  if (schema.format === 'email') return fc.integer({ min: 0, max: 1e6 }).map((n) => `fuzz${n}@example.com`)
  if (schema.format === 'date-time') {
    return fc
      .date({ min: new Date('2026-01-01'), max: new Date('2027-01-01'), noInvalidDate: true })
      .map((d) => d.toISOString())
  }
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type
  if (type === 'integer') return fc.integer({ min: 1, max: 5 })
  if (type === 'number') return fc.double({ min: 0, max: 100, noNaN: true })
  if (type === 'boolean') return fc.boolean()
  if (type === 'array') return fc.array(plausible(schema.items as PropertySchema, name), { maxLength: 2 })
  if (type === 'string') {
    if (schema.pattern?.includes('A-HJ-NPR-Z') || /vin/i.test(name)) {
      return fc.constantFrom(...FLEET_VEHICLES.map((v) => v.vin))
    }
    return fc.constantFrom('hello there', 'a-long-password', 'Model 3', 'B-2024-01')
  }
  return nastyValue
}

function bodyFor(
  schema: JsonSchema | undefined,
  components: Record<string, JsonSchema>,
): fc.Arbitrary<unknown> {
  const s = deref(schema, components)
  const variants = s?.anyOf ?? s?.oneOf ?? [s]
  const objects = variants
    .map((v) => deref(v, components))
    .filter((v): v is JsonSchema => v?.properties !== undefined)
    .flatMap((v) => {
      const properties = Object.entries(v.properties ?? {})
      const valid = fc.record(
        Object.fromEntries(properties.map(([k, p]) => [k, plausible(deref(p, components), k)])),
      )
      // Everything plausible but one field: what reaches the handler and the database.
      const oneBad = valid.chain((body) =>
        fc
          .tuple(fc.constantFrom(...properties.map(([k]) => k)), nastyValue)
          .map(([k, bad]) => ({ ...body, [k]: bad })),
      )
      return [valid, oneBad, oneBad]
    })
  return fc.oneof(nastyValue, fc.jsonValue({ maxDepth: 3 }), ...objects)
}

/** Percent-encodes like a client would; a lone surrogate goes out as the invalid UTF-8 it becomes raw. */
function encode(value: unknown): string {
  const text = String(value)
  try {
    return encodeURIComponent(text)
  } catch {
    return `${encodeURIComponent(text.replace(/[\uD800-\uDFFF]/g, ''))}%ED%A0%80`
  }
}

describe('fuzzing every route from the OpenAPI document', () => {
  let t: TestApp
  const auth = new Map<string, Record<string, string>>()

  beforeAll(async () => {
    t = await createTestApp()
    auth.set('anonymous', {})
    for (const role of ['customer', 'service', 'manufacturer'] as const) {
      auth.set(role, bearer(await login(t.app, DEMO[role])))
    }
    const vin = FLEET_VEHICLES.at(-1)!.vin
    const rotated = await t.app.inject({
      method: 'POST',
      url: `/api/vehicles/${vin}/credentials`,
      headers: auth.get('manufacturer'),
    })
    auth.set('device', bearer(rotated.json().device_token))
  })
  afterAll(() => t.close())

  it('answers 1,000+ generated bad inputs without a single 5xx, each 4xx with a code', async () => {
    const doc = t.app.swagger() as {
      paths: Record<
        string,
        Record<
          string,
          {
            description?: string
            parameters?: Array<{ in: string; name: string }>
            requestBody?: { content?: Record<string, { schema?: JsonSchema }> }
          }
        >
      >
      components?: { schemas?: Record<string, JsonSchema> }
    }
    const components = doc.components?.schemas ?? {}
    const operations: Operation[] = []
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const text = op.description ?? ''
        const roles = /Roles: ([a-z, ]+)\./.exec(text)?.[1]?.split(', ')
        const allowed = roles
          ? roles
          : text.includes('Device token')
            ? ['device']
            : text.includes('Any signed-in user')
              ? ['customer', 'service', 'manufacturer']
              : ['anonymous', 'customer', 'manufacturer']
        operations.push({
          method: method.toUpperCase(),
          path,
          allowed,
          params: (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name),
          query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
          body: op.requestBody?.content?.['application/json']?.schema,
        })
      }
    }
    expect(operations.length).toBeGreaterThan(30)

    const identities = [...auth.keys()]
    const perOperation = Math.ceil(1500 / operations.length)
    const failures: string[] = []
    const statuses = new Map<number, number>()
    let sent = 0
    for (const [index, op] of operations.entries()) {
      const cases = fc.sample(
        fc.record({
          params: fc.tuple(...op.params.map(() => nastyString), fc.constant(0)),
          query: fc.dictionary(fc.constantFrom(...op.query, 'x', 'token'), nastyString, { maxKeys: 4 }),
          body: bodyFor(op.body, components),
          raw: fc.boolean(),
        }),
        { numRuns: perOperation, seed: 1600 + index },
      )
      for (const [n, c] of cases.entries()) {
        let url = op.path
        op.params.forEach((name, i) => {
          url = url.replace(`{${name}}`, encode(c.params[i]))
        })
        const qs = Object.entries(c.query)
          .map(([k, v]) => `${encode(k)}=${encode(v)}`)
          .join('&')
        if (qs) url += `?${qs}`
        // Mostly as a caller the route lets through to validation, sometimes as anyone else.
        const pool = n % 5 === 4 ? identities : op.allowed
        const who = pool[(index + n) % pool.length]!
        const request: InjectOptions = {
          method: op.method as InjectOptions['method'],
          url,
          headers: { ...auth.get(who) },
        }
        if (op.method !== 'GET' && op.method !== 'DELETE') {
          if (c.raw && n % 7 === 0) {
            request.payload = '{"unterminated": '
            request.headers = { ...request.headers, 'content-type': 'application/json' }
          } else {
            request.payload = JSON.stringify(c.body ?? null)
            request.headers = { ...request.headers, 'content-type': 'application/json' }
          }
        }
        const res = await t.app.inject(request)
        sent++
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1)
        const where = `${op.method} ${url.slice(0, 160)} as ${who} -> ${res.statusCode}`
        if (res.statusCode >= 500)
          failures.push(`${where}: ${res.body.slice(0, 200)} body=${JSON.stringify(c.body)?.slice(0, 200)}`)
        else if (res.statusCode >= 400) {
          const code = (() => {
            try {
              return res.json()?.error?.code
            } catch {
              return undefined
            }
          })()
          if (typeof code !== 'string') failures.push(`${where}: no error code in ${res.body.slice(0, 120)}`)
        }
      }
    }
    console.log(`fuzz: ${sent} requests over ${operations.length} operations`, Object.fromEntries(statuses))
    expect(sent).toBeGreaterThanOrEqual(1000)
    if (failures.length > 0) console.log(failures.join('\n'))
    expect(failures.slice(0, 20)).toEqual([])
  }, 600_000)
})
