import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { DirectSchemas, direct, FanOutSchemas, ServerMessageSchemas } from '../../src/ingest/messages.js'

const DOCS = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8')
/** The "Server -> client" list of docs/api.md: one `- \`type\`: ...` line per message type. */
const wsSection = DOCS.slice(DOCS.indexOf('## WebSocket'), DOCS.indexOf('Client -> server'))
const documented = new Map(
  [...wsSection.matchAll(/^- `([a-z_]+)`(?: -> [^:]*)?: (.*)$/gm)].map((m) => [m[1]!, m[2]!]),
)

/** Top-level keys of the first `{...}` in a line, e.g. `{vin, severity, signals}` -> vin, severity, signals. */
function inlineFields(line: string): string[] | undefined {
  const start = line.indexOf('{')
  if (start < 0) return undefined
  const fields: string[] = []
  let depth = 0
  let token = ''
  for (const ch of line.slice(start + 1)) {
    if ('{[('.includes(ch)) depth++
    else if ('}])'.includes(ch)) {
      if (depth === 0) break
      depth--
    } else if (ch === ',' && depth === 0) {
      fields.push(token)
      token = ''
      continue
    }
    if (depth === 0) token += ch
  }
  fields.push(token)
  return fields.map((f) => f.split(':')[0]!.replace(/[`?]/g, '').trim()).filter(Boolean)
}

describe('the real-time contract', () => {
  it('is what docs/api.md documents: every message type, and the fields of each inline shape', () => {
    expect([...documented.keys()].sort()).toEqual(Object.keys(ServerMessageSchemas).sort())
    for (const [type, line] of documented) {
      const schema = ServerMessageSchemas[type as keyof typeof ServerMessageSchemas]
      const fields = inlineFields(line)
      // Lines such as "a `Booking`" name a REST shape instead; docs/api.md lists those fields.
      if (!fields || !(schema instanceof z.ZodObject)) continue
      expect({ type, fields: fields.sort() }).toEqual({ type, fields: Object.keys(schema.shape).sort() })
    }
  })

  it('names each REST shape a message carries the way the OpenAPI document does', () => {
    for (const [type, line] of documented) {
      const named = /^a `([A-Za-z]+)`/.exec(line)?.[1]
      if (!named) continue
      const schema = FanOutSchemas[type as keyof typeof FanOutSchemas]
      const id = (schema.meta() as { id?: string } | undefined)?.id
      expect({ type, shape: named }).toEqual({ type, shape: id })
    }
  })

  it('builds direct messages that match their own schemas', () => {
    const built = [
      direct.hello({ id: 'u1', role: 'service' }, 'all'),
      direct.hello({ id: 'u2', role: 'customer' }, ['5ATURH1E0SA250102']),
      direct.subscribed([]),
      direct.subscribed(['5ATURH1E0SA250102']),
      direct.error('BAD_MESSAGE', 'Messages must be JSON'),
      direct.pong(),
    ]
    for (const message of built) {
      expect(DirectSchemas[message.type].safeParse(message.data).success, message.type).toBe(true)
    }
    expect(direct.subscribed([]).data.vins).toBe('all')
  })
})
