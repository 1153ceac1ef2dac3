import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../config.js'
import type { DbHandle } from '../db/client.js'
import type { Repositories } from '../db/repositories/index.js'
import { telemetryStorage } from '../db/telemetry-storage.js'
import { StreamEngine } from '../simulation/stream-engine.js'
import type { EventBus } from './event-bus.js'
import { IngestionPipeline } from './pipeline.js'
import { TelemetryWriter } from './telemetry-writer.js'
import { type HubOptions, WebSocketHub } from './ws-hub.js'

/** What takes readings in and hands them on: the pipeline, its writer, the WebSocket hub, the replay. */
export interface Ingest {
  pipeline: IngestionPipeline
  writer: TelemetryWriter
  hub: WebSocketHub
  /** The server's one replay of the dataset (absent when STREAM_ENABLED=false). */
  stream: StreamEngine | undefined
  /** Named snapshots for `/api/health`. */
  probes: Record<string, () => unknown>
}

export interface IngestDeps {
  config: Config
  db: DbHandle
  repos: Repositories
  bus: EventBus
  log: FastifyBaseLogger
  hub?: HubOptions
  /** The VIN a VIN-less (public-layout) dataset is attributed to when DATASET_VIN is unset. */
  defaultVin?: string
}

/**
 * One ingestion pipeline and one StreamEngine per server: a hundred dashboards are a hundred
 * WebSocket subscribers, not a hundred replays.
 */
export function createIngest({
  config,
  db,
  repos,
  bus,
  log,
  hub: hubOptions,
  defaultVin,
}: IngestDeps): Ingest {
  const writer = new TelemetryWriter(telemetryStorage(db), {
    onError: (err, attempt) => log.error({ err, attempt }, 'telemetry batch write failed; will retry'),
  })
  const pipeline = new IngestionPipeline({ repos, writer, bus, log })
  const hub = new WebSocketHub(bus, hubOptions)
  const stream = config.stream.enabled
    ? new StreamEngine(config.dataset.path, {
        delaySeconds: config.stream.delaySeconds,
        defaultVin: config.dataset.vin ?? defaultVin,
        logger: log,
      })
    : undefined
  const probes: Record<string, () => unknown> = {
    ingestion: () => pipeline.stats,
    telemetry_writer: () => writer.stats,
    websocket: () => hub.stats,
  }
  if (stream) {
    probes.stream = () => {
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
    }
  }
  return { pipeline, writer, hub, stream, probes }
}
