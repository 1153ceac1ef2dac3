import { useEffect, useMemo } from 'preact/hooks'
import { LiveChart } from '../../components/live-chart'
import { api } from '../../lib/api'
import { useSocket, useSocketMessage } from '../../lib/hooks'
import { TelemetryBuffer } from '../../lib/telemetry-buffer'
import type { Reading } from '../../lib/types'

const CHARTS = [
  { field: 'driving_speed', label: 'Speed', unit: 'km/h', color: '#0b5cad', digits: 0 },
  { field: 'motor_rpm', label: 'Motor RPM', unit: 'rpm', color: '#6b3fa0', digits: 0 },
  { field: 'battery_temperature', label: 'Battery temperature', unit: '°C', color: '#b3261e', digits: 1 },
  { field: 'motor_vibration', label: 'Motor vibration', unit: 'mm/s', color: '#8a5a00', digits: 2 },
] as const

/** Readings kept per chart: a few minutes at the default replay pace (one reading every 2 s). */
export const CHART_CAPACITY = 180

/** The four live charts of one vehicle: a REST backfill so they are never blank, then the stream. */
export function TelemetryCharts({ vin }: { vin: string }) {
  const buffer = useMemo(() => new TelemetryBuffer(CHART_CAPACITY), [vin])

  useEffect(() => {
    const controller = new AbortController()
    api<Reading[]>(`/api/vehicles/${encodeURIComponent(vin)}/telemetry?limit=${CHART_CAPACITY}`, {
      signal: controller.signal,
    })
      .then((readings) => buffer.prepend(readings))
      // The stream fills the charts anyway; a failed backfill only means they start empty.
      .catch(() => undefined)
    return () => controller.abort()
  }, [vin, buffer])

  // Only this vehicle's readings on the wire; alerts, chat and bookings of the others still arrive.
  const socket = useSocket()
  useEffect(() => socket?.subscribe([vin]), [socket, vin])

  useSocketMessage('telemetry', (reading) => {
    if (reading.vin === vin) buffer.push(reading)
  })

  return (
    <div class="charts">
      {CHARTS.map((c) => (
        <LiveChart
          key={c.field}
          buffer={buffer}
          field={c.field}
          label={c.label}
          unit={c.unit}
          color={c.color}
          digits={c.digits}
        />
      ))}
    </div>
  )
}
