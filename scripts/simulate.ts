/**
 * The vehicle simulator: `npm run simulate -- --vehicles 1000 --rate 5 --protocol mqtt`.
 * Options and exit codes: `npm run simulate -- --help`. The work is in scripts/simulator/.
 */
import { parseSimArgs, USAGE, UsageError } from './simulator/args.js'
import { runSimulation, type SimSummary } from './simulator/run.js'

function describe(s: SimSummary): string[] {
  const v = s.verification
  const lines = [
    `${s.vehicles} vehicles over ${s.protocol}, ${s.duration_s} s: sent ${s.readings.sent}, acknowledged ` +
      `${s.readings.acknowledged} (${s.readings_per_second}/s), rejected ${s.readings.rejected}, retries ` +
      `${s.messages.retries}, reconnects ${s.messages.reconnects}`,
    `on purpose: ${s.readings.duplicates_sent} duplicates` +
      (s.readings.duplicates_answered === null
        ? ''
        : ` (${s.readings.duplicates_answered} answered as such)`) +
      `, ${s.readings.out_of_order_sent} out of order`,
    `ack latency ms: p50 ${s.ack_latency_ms.p50}, p95 ${s.ack_latency_ms.p95}, p99 ${s.ack_latency_ms.p99}`,
  ]
  if (v)
    lines.push(
      `verified: ${v.stored} stored of ${v.acknowledged} acknowledged, ${v.missing} missing` +
        (v.missingExplainedByRejections ? ` (${v.missingExplainedByRejections} rejected)` : '') +
        `, ${v.duplicated} stored twice: ${v.ok ? 'OK' : 'FAILED'}`,
    )
  if (v && !v.ok) for (const f of v.failures) lines.push(`  ${JSON.stringify(f)}`)
  if (s.error) lines.push(`error: ${s.error}`)
  return lines
}

async function main(): Promise<number> {
  let options: ReturnType<typeof parseSimArgs>
  try {
    options = parseSimArgs(process.argv.slice(2))
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    process.stderr.write(`${err.message}\n\n${USAGE}\n`)
    return 2
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  const out = options.json ? process.stderr : process.stdout
  const stop = new AbortController()
  // First Ctrl-C: stop measuring, deliver and verify what was sent; a second one leaves at once.
  process.once('SIGINT', () => {
    out.write('stopping: delivering what is queued, then verifying (Ctrl-C again to quit)\n')
    stop.abort()
    process.once('SIGINT', () => process.exit(130))
  })
  const { summary } = await runSimulation(options, {
    log: (line) => out.write(`${line}\n`),
    signal: stop.signal,
  })
  for (const line of describe(summary)) out.write(`${line}\n`)
  if (options.json) process.stdout.write(`${JSON.stringify(summary)}\n`)
  return summary.exit_code
}

process.exitCode = await main()
