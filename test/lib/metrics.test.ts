import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import type { MetricSources } from '../../src/lib/metric-families.js'
import { type PartitionView, ServiceMetrics } from '../../src/lib/metrics.js'
import { MetricsServer } from '../../src/lib/metrics-server.js'

const quiet = { info: () => undefined, error: () => undefined }

function sources(written: { n: number }): MetricSources {
  const zero = <T extends string>(...keys: T[]) =>
    Object.fromEntries(keys.map((k) => [k, 0])) as Record<T, number>
  return {
    pipeline: () => ({
      ...zero('accepted', 'late', 'duplicate', 'invalid', 'unknownVehicle', 'refused'),
      invalidByCode: { MISSING_FIELD: 2 },
    }),
    writer: () => ({ ...zero('duplicates', 'pending', 'dropped', 'failedAttempts'), written: written.n }),
    agents: () =>
      zero(
        'opened',
        'escalated',
        'resolved',
        'queuedRuns',
        'queuedOps',
        'urgentRuns',
        'urgentWaiting',
        'followUpRuns',
        'followUpWaiting',
        'foldedRuns',
        'shedRuns',
        'cancelledRuns',
        'droppedAtStop',
      ),
    websocket: () => zero('connections', 'sent', 'droppedTelemetry'),
    httpIntake: () => zero('requests', 'rate_limited', 'busy'),
    db: () => ({ kind: 'postgres', total: 4, idle: 1, waiting: 3, max: 10, lost: 0 }),
    audit: () => zero('written', 'pending', 'spooled', 'lost'),
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

describe('ServiceMetrics', () => {
  it('reads the services’ own counters at each scrape, one registry per instance', async () => {
    const written = { n: 5 }
    const a = new ServiceMetrics({ version: '1.2.3' })
    a.readFrom(sources(written))
    // A second set of services in the same process (tests build many): no name collision.
    const b = new ServiceMetrics({ version: '1.2.3' })
    b.readFrom(sources({ n: 0 }))
    expect(await a.text()).toContain('\nautonoma_readings_stored_total 5\n')
    written.n = 12
    const text = await a.text()
    expect(text).toContain('\nautonoma_readings_stored_total 12\n')
    expect(text).toContain('autonoma_readings_rejected_total{reason="MISSING_FIELD"} 2')
    expect(text).toContain('autonoma_db_pool_waiting{kind="postgres"} 3')
    expect(text).toContain('autonoma_build_info{version="1.2.3"} 1')
    // No MQTT source, no MQTT families.
    expect(text).not.toContain('autonoma_mqtt_clients')
    expect(await b.text()).toContain('\nautonoma_readings_stored_total 0\n')
    expect(() => a.readFrom(sources(written))).toThrow()
  })

  it('observes agent runs by outcome and alert latency by severity', async () => {
    const m = new ServiceMetrics({ version: 'x' })
    m.runEnded('completed', 0.2)
    m.runEnded('failed', 3)
    m.alertSent('High', 0.04)
    const text = await m.text()
    expect(text).toContain('autonoma_agent_run_duration_seconds_count{outcome="completed"} 1')
    expect(text).toContain('autonoma_agent_run_duration_seconds_bucket{le="0.25",outcome="completed"} 1')
    expect(text).toContain('autonoma_agent_run_duration_seconds_bucket{le="2.5",outcome="failed"} 0')
    expect(text).toContain('autonoma_alert_latency_seconds_bucket{le="0.025",severity="High"} 0')
    expect(text).toContain('autonoma_alert_latency_seconds_bucket{le="0.05",severity="High"} 1')
  })

  it('shows the partitions a cluster source reports, lag only for the owned ones', async () => {
    const m = new ServiceMetrics({ version: 'x' })
    expect(await m.text()).toContain('\nautonoma_partitions_owned 0\n')
    let view: PartitionView[] = [
      { partition: 0, owned: true, lag: 40, redeliveries: 2 },
      { partition: 1, owned: false, lag: 7, redeliveries: 0 },
      { partition: 2, owned: true, lag: 0, redeliveries: 5 },
    ]
    m.registerClusterGauges({ partitions: () => view })
    let text = await m.text()
    expect(text).toContain('\nautonoma_partitions_owned 2\n')
    expect(text).toContain('autonoma_partition_owned{partition="1"} 0')
    expect(text).toContain('autonoma_consumer_lag{partition="0"} 40')
    expect(text).not.toContain('autonoma_consumer_lag{partition="1"}')
    expect(text).toContain('autonoma_consumer_redeliveries_total{partition="2"} 5')
    // Partition 0 moved to another worker.
    view = view.map((p) => (p.partition === 0 ? { ...p, owned: false } : p))
    text = await m.text()
    expect(text).toContain('\nautonoma_partitions_owned 1\n')
    expect(text).not.toContain('autonoma_consumer_lag{partition="0"}')
  })
})

describe('the metrics docs and the Grafana dashboard', () => {
  const docs = (file: string) => readFileSync(new URL(`../../docs/${file}`, import.meta.url), 'utf8')

  const families = async () => {
    const m = new ServiceMetrics({ version: 'x' })
    const mqtt = () => ({
      status: 'up',
      clients: 0,
      messages: 0,
      throttled: 0,
      refusedConnections: 0,
      refusedPublishes: 0,
      refusedSubscriptions: 0,
      alertsPublished: 0,
    })
    m.readFrom({ ...sources({ n: 0 }), mqtt })
    return [...(await m.text()).matchAll(/^# TYPE (autonoma_[a-z_]+) (\w+)$/gm)].map((x) => ({
      name: x[1]!,
      type: x[2]!,
    }))
  }

  it('lists every metric family in docs/metrics.md', async () => {
    const text = docs('metrics.md')
    const missing = (await families()).filter((f) => !text.includes(`| \`${f.name}\` | ${f.type} |`))
    expect(missing).toEqual([])
  })

  it('has a dashboard that reads only metrics that exist, through the data source variable', async () => {
    const dashboard = JSON.parse(docs('grafana-dashboard.json'))
    const names = new Set<string>()
    for (const f of await families()) {
      names.add(f.name)
      if (f.type === 'histogram') for (const part of ['_bucket', '_sum', '_count']) names.add(f.name + part)
    }
    const panels = dashboard.panels.filter((p: { type: string }) => p.type !== 'row')
    expect(panels.length).toBeGreaterThanOrEqual(10)
    const unknown: string[] = []
    for (const panel of panels) {
      expect(panel.datasource.uid, panel.title).toBe(`\${DS_PROMETHEUS}`)
      for (const target of panel.targets)
        for (const used of target.expr.matchAll(/autonoma_[a-z_]+/g))
          if (!names.has(used[0])) unknown.push(`${panel.title}: ${used[0]}`)
    }
    expect(unknown).toEqual([])
    const text = JSON.stringify(dashboard)
    for (const needed of [
      'autonoma_alert_latency_seconds_bucket',
      'autonoma_consumer_lag',
      'autonoma_queue_depth',
    ])
      expect(text).toContain(needed)
  })
})

describe('MetricsServer', () => {
  it('serves GET /metrics on its port until closed', async () => {
    const m = new ServiceMetrics({ version: 'x' })
    const server = new MetricsServer(m, { port: await freePort(), host: '127.0.0.1' }, quiet)
    await server.start()
    const { port } = server.stats
    expect(server.stats.status).toBe('up')
    const res = await fetch(`http://127.0.0.1:${port}/metrics`)
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('# TYPE autonoma_alert_latency_seconds histogram')
    expect((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' })).status).toBe(404)
    await server.close()
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow()
  })

  it('reports a port in use as unavailable instead of failing the process', async () => {
    const port = await freePort()
    const squatter = createServer()
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve))
    const server = new MetricsServer(new ServiceMetrics({ version: 'x' }), { port, host: '127.0.0.1' }, quiet)
    try {
      await server.start()
      expect(server.stats).toMatchObject({ status: 'unavailable', port })
      expect(server.stats.reason).toMatch(/EADDRINUSE/)
    } finally {
      await server.close()
      await new Promise((resolve) => squatter.close(resolve))
    }
  })
})
