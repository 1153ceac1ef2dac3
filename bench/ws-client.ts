/**
 * WebSocket clients in their own process (forked by fanout.ts and latency.ts), so that receiving
 * does not share an event loop with the server. Opens `count` connections to `url`, then answers
 * the parent's IPC commands:
 *   {cmd: 'report'} -> counters and latencies since the last report (then reset);
 *   {cmd: 'pause'} / {cmd: 'resume'} -> stops / starts reading from every socket;
 *   {cmd: 'close'}  -> closes every socket and exits.
 * Telemetry latency = arrival - the reading's `timestamp` (the benchmark stamps each reading with
 * the time it entered ingestion; ISO strings carry milliseconds, so it reads up to 1 ms high).
 * Alerts are returned one by one with their arrival time, for latency.ts to match.
 */
import WebSocket from 'ws'
import { LatencyHistogram, nowMs } from './lib/stats.js'

export interface ClientReport {
  open: number
  closed: number
  errors: number
  telemetry: number
  other: Record<string, number>
  latency: ReturnType<LatencyHistogram['toSparse']>
  alerts: { at: number; vin: string; trigger: string; anomaly_type: string }[]
  closeCodes: Record<string, number>
}

const [url, countArg] = process.argv.slice(2)
if (!url || !process.send) {
  console.error('usage: fork ws-client.ts <ws-url-with-token> <count>')
  process.exit(2)
}
const count = Number(countArg ?? 1)
const TELEMETRY = Buffer.from('{"type":"telemetry"')
const TIMESTAMP = Buffer.from('"timestamp":"')

let latency = new LatencyHistogram()
let report: Omit<ClientReport, 'latency' | 'open'> = fresh()
const sockets: WebSocket[] = []
let open = 0

function fresh(): Omit<ClientReport, 'latency' | 'open'> {
  return { closed: 0, errors: 0, telemetry: 0, other: {}, alerts: [], closeCodes: {} }
}

function onMessage(raw: Buffer): void {
  const at = nowMs()
  if (raw.subarray(0, TELEMETRY.length).equals(TELEMETRY)) {
    report.telemetry++
    const i = raw.indexOf(TIMESTAMP)
    if (i >= 0) {
      const start = i + TIMESTAMP.length
      const ts = Date.parse(raw.toString('latin1', start, start + 24))
      if (!Number.isNaN(ts)) latency.record(at - ts)
    }
    return
  }
  const message = JSON.parse(raw.toString()) as { type: string; data: Record<string, unknown> }
  report.other[message.type] = (report.other[message.type] ?? 0) + 1
  if (message.type === 'alert') {
    const d = message.data
    report.alerts.push({
      at,
      vin: String(d.vin),
      trigger: String(d.trigger),
      anomaly_type: String(d.anomaly_type),
    })
  }
}

function connect(): Promise<void> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url!, { perMessageDeflate: false })
    sockets.push(socket)
    let opened = false
    socket.on('open', () => {
      opened = true
      open++
      resolve()
    })
    socket.on('message', (data) => onMessage(data as Buffer))
    socket.on('error', () => {
      report.errors++
      resolve()
    })
    socket.on('close', (code) => {
      if (opened) open--
      report.closed++
      report.closeCodes[code] = (report.closeCodes[code] ?? 0) + 1
    })
  })
}

process.on('message', (msg: { cmd: string }) => {
  if (msg.cmd === 'report') {
    const out: ClientReport = { ...report, open, latency: latency.toSparse() }
    latency = new LatencyHistogram()
    report = fresh()
    process.send!({ type: 'report', report: out })
  } else if (msg.cmd === 'pause' || msg.cmd === 'resume') {
    // A client that stops reading: the server's socket buffer fills and the hub has to queue.
    for (const s of sockets) msg.cmd === 'pause' ? s.pause() : s.resume()
    process.send!({ type: msg.cmd })
  } else if (msg.cmd === 'close') {
    for (const s of sockets) s.terminate()
    setTimeout(() => process.exit(0), 50)
  }
})
process.on('disconnect', () => process.exit(0))

// Connect in waves of 50, as a thousand simultaneous upgrades would only measure the accept queue.
for (let i = 0; i < count; i += 50) {
  await Promise.all(Array.from({ length: Math.min(50, count - i) }, connect))
}
process.send({ type: 'ready', open })
