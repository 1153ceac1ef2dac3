import type { FastifyBaseLogger } from 'fastify'
import type { Config } from '../config.js'
import type { DbHandle } from '../db/client.js'
import type { Repositories } from '../db/repositories/index.js'
import { telemetrySeries } from '../db/telemetry-series.js'
import { telemetryStorage } from '../db/telemetry-storage.js'
import { NUMERIC_FIELDS } from '../schemas/telemetry.js'
import { StreamEngine } from '../simulation/stream-engine.js'
import type { EventBus } from './event-bus.js'
import { IngestionPipeline } from './pipeline.js'
import { RollupMaintainer } from './rollup-maintainer.js'
import { DEFAULT_SIGNAL_QUALITY } from './signal-quality.js'
import { TelemetryMaintenance } from './telemetry-maintenance.js'
import { TelemetryWriter } from './telemetry-writer.js'
import { type HubOptions, WebSocketHub } from './ws-hub.js'

/** What takes readings in and hands them on: the pipeline, its writer, the WebSocket hub, the replay. */
export interface Ingest {
  pipeline: IngestionPipeline
  writer: TelemetryWriter
  /** Range reads of stored telemetry: raw rows, hourly and daily buckets. */
  series: ReturnType<typeof telemetrySeries>
  /** Keeps the hourly rollups exact after each commit; caught up at start. */
  rollups: RollupMaintainer
  /** Partitions created ahead and retention, on an interval. */
  maintenance: TelemetryMaintenance
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
  const storage = telemetryStorage(db)
  const series = telemetrySeries(db.db, { signals: NUMERIC_FIELDS.length })
  const maintenance = new TelemetryMaintenance(storage, {
    retentionDays: config.telemetry.retentionDays,
    log,
  })
  const rollups = new RollupMaintainer(series, () => storage.partitions(), {
    oldestKept: () => maintenance.oldestKept(),
    log,
  })
  const writer = new TelemetryWriter(storage, {
    onError: (err, attempt) => log.error({ err, attempt }, 'telemetry batch write failed; will retry'),
    onStored: (keys) => rollups.touch(keys),
  })
  const pipeline = new IngestionPipeline({
    repos,
    writer,
    bus,
    log,
    quality: { ...DEFAULT_SIGNAL_QUALITY, stuckReadings: config.dataQuality.stuckReadings },
  })
  const hub = new WebSocketHub(bus, hubOptions)
  const stream = config.stream.enabled
    ? new StreamEngine(config.dataset.path, {
        delaySeconds: config.stream.delaySeconds,
        clock: config.stream.clock,
        defaultVin: config.dataset.vin ?? defaultVin,
        logger: log,
      })
    : undefined
  const probes: Record<string, () => unknown> = {
    ingestion: () => pipeline.stats,
    telemetry_writer: () => writer.stats,
    telemetry_rollups: () => rollups.stats,
    telemetry_maintenance: () => maintenance.stats,
    websocket: () => hub.stats,
  }
  if (stream) {
    probes.stream = () => {
      const s = stream.stats
      return {
        file: config.dataset.path,
        problem: stream.problem,
        rows: s.rows,
        vehicles: s.vehicles,
        skipped_rows: s.skippedRows,
        skipped_reasons: s.skippedReasons,
        filled_cells: s.filledCells,
        implausible_cells: s.implausibleCells,
        emitted: s.emitted,
        loops: s.loops,
        delay_seconds: config.stream.delaySeconds,
        clock: config.stream.clock,
      }
    }
  }
  return { pipeline, writer, series, rollups, maintenance, hub, stream, probes }
}
