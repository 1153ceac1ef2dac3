/**
 * The HTTP intake's load generator, in its own process (forked by http-intake.ts) so that building
 * and sending bodies does not share an event loop with the server. Given a job over IPC it posts
 * `batches` requests of `template.length` readings each to POST /api/v1/telemetry, spread over the
 * devices (batch i is device i % devices.length, its (i / devices) th window), on `connections`
 * keep-alive sockets each with one request in flight, and answers with what the server said and the
 * per-request latency (send to the last byte of the 202). A 503 or 429 is retried after its
 * Retry-After (capped at 1 s) and counted; its latency is not in the histogram.
 */
import http from 'node:http'
import { LatencyHistogram } from './lib/stats.js'

export interface LoadJob {
  base: string
  devices: { vin: string; token: string }[]
  /** The readings' JSON members without `timestamp` (`"soc":80,...`), one per reading of a batch. */
  template: string[]
  batches: number
  connections: number
  /** Epoch ms of the first reading of window 0; readings are `stepMs` apart. */
  firstTs: number
  stepMs: number
}

export interface LoadReport {
  requests: number
  accepted: number
  duplicates: number
  rejected: number
  rejectedCodes: Record<string, number>
  retried: Record<string, number>
  errors: number
  ms: number
  cpuUs: number
  latency: ReturnType<LatencyHistogram['toSparse']>
}

function post(agent: http.Agent, url: URL, token: string, body: string) {
  return new Promise<{ status: number; body: string; retryAfter: number }>((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            retryAfter: Number(res.headers['retry-after'] ?? 1),
          }),
        )
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

async function run(job: LoadJob): Promise<LoadReport> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.connections })
  const url = new URL('/api/v1/telemetry', job.base)
  const perBatch = job.template.length
  const latency = new LatencyHistogram()
  const out: LoadReport = {
    requests: 0,
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    rejectedCodes: {},
    retried: {},
    errors: 0,
    ms: 0,
    cpuUs: 0,
    latency: latency.toSparse(),
  }
  let next = 0
  const worker = async () => {
    for (let i = next++; i < job.batches; i = next++) {
      const device = job.devices[i % job.devices.length]!
      const window = Math.floor(i / job.devices.length)
      const start = job.firstTs + window * perBatch * job.stepMs
      let body = '['
      for (let k = 0; k < perBatch; k++)
        body += `${k ? ',' : ''}{"timestamp":${start + k * job.stepMs},${job.template[k]}`
      body += ']'
      for (;;) {
        const t0 = performance.now()
        out.requests++
        const res = await post(agent, url, device.token, body).catch(() => null)
        if (!res) {
          out.errors++
          break
        }
        if (res.status === 503 || res.status === 429) {
          out.retried[res.status] = (out.retried[res.status] ?? 0) + 1
          await new Promise((r) => setTimeout(r, Math.min(1000, res.retryAfter * 1000)))
          continue
        }
        latency.record(performance.now() - t0)
        if (res.status !== 202) {
          out.errors++
          console.error(`  http-load: ${res.status} ${res.body.slice(0, 200)}`)
          break
        }
        const r = JSON.parse(res.body) as {
          accepted: number
          duplicates: number
          rejected: { code: string }[]
        }
        out.accepted += r.accepted
        out.duplicates += r.duplicates
        out.rejected += r.rejected.length
        for (const x of r.rejected) out.rejectedCodes[x.code] = (out.rejectedCodes[x.code] ?? 0) + 1
        break
      }
    }
  }
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  await Promise.all(Array.from({ length: job.connections }, worker))
  out.ms = performance.now() - t0
  const c = process.cpuUsage(c0)
  out.cpuUs = c.user + c.system
  out.latency = latency.toSparse()
  agent.destroy()
  return out
}

if (!process.send) {
  console.error('usage: fork http-load.ts, then send a LoadJob')
  process.exit(2)
}
process.on('message', (job: LoadJob | { cmd: 'exit' }) => {
  if ('cmd' in job) process.exit(0)
  void run(job).then((report) => process.send!({ type: 'report', report }))
})
process.send({ type: 'ready' })
