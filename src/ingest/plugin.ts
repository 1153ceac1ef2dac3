import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { FLEET_VEHICLES } from '../simulation/fleet.js'
import { StreamEngine } from '../simulation/stream-engine.js'
import { IngestionPipeline } from './pipeline.js'
import { TelemetryWriter } from './telemetry-writer.js'
import { type HubOptions, WebSocketHub } from './ws-hub.js'

declare module 'fastify' {
  interface FastifyInstance {
    pipeline: IngestionPipeline
    hub: WebSocketHub
    telemetryWriter: TelemetryWriter
    /** The server's one replay of the dataset (absent when STREAM_ENABLED=false). */
    stream: StreamEngine | undefined
    /** Starts the replay; `buildApp` calls it once every plugin is ready to see readings. */
    startStream(): void
  }
}

export interface IngestPluginOptions {
  hub?: HubOptions
}

/**
 * One ingestion pipeline and one StreamEngine per server, started with it and stopped with it:
 * a hundred dashboards are a hundred WebSocket subscribers, not a hundred replays.
 */
async function ingestPlugin(app: FastifyInstance, opts: IngestPluginOptions) {
  const writer = new TelemetryWriter(app.dbHandle, {
    onError: (err, attempt) => app.log.error({ err, attempt }, 'telemetry batch write failed; will retry'),
  })
  const pipeline = new IngestionPipeline({ repos: app.repos, writer, bus: app.bus, log: app.log })
  const hub = new WebSocketHub(app.bus, opts.hub)
  const { config } = app
  const stream = config.stream.enabled
    ? new StreamEngine(config.dataset.path, {
        delaySeconds: config.stream.delaySeconds,
        defaultVin: config.dataset.vin ?? FLEET_VEHICLES[0]?.vin,
        logger: app.log,
      })
    : undefined

  app.decorate('pipeline', pipeline)
  app.decorate('hub', hub)
  app.decorate('telemetryWriter', writer)
  app.decorate('stream', stream)
  // Not awaited: loading a large file (the public one is 93 MB) must not delay readiness.
  app.decorate('startStream', () => {
    if (stream) pipeline.start(stream)
  })
  app.healthProbes.set('ingestion', () => pipeline.stats)
  app.healthProbes.set('telemetry_writer', () => writer.stats)
  app.healthProbes.set('websocket', () => hub.stats)
  if (stream) {
    app.healthProbes.set('stream', () => {
      const s = stream.stats
      return {
        file: config.dataset.path,
        rows: s.rows,
        vehicles: s.vehicles,
        skipped_rows: s.skippedRows,
        skipped_reasons: s.skippedReasons,
        filled_cells: s.filledCells,
        emitted: s.emitted,
        loops: s.loops,
        delay_seconds: config.stream.delaySeconds,
      }
    })
  }

  app.addHook('onReady', async () => {
    await pipeline.loadVehicles()
  })

  app.addHook('onClose', async () => {
    await pipeline.stop()
    hub.close()
    await writer.close()
  })
}

export default fp(ingestPlugin, { name: 'ingest' })
