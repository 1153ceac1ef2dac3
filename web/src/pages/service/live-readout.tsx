import { useEffect, useState } from 'preact/hooks'
import { formatDateTime, formatNumber } from '../../lib/format'
import { useSocket, useSocketMessage } from '../../lib/hooks'
import type { Reading } from '../../lib/types'

const FIELDS = [
  { key: 'driving_speed', label: 'Speed', unit: 'km/h', digits: 0 },
  { key: 'battery_temperature', label: 'Battery', unit: '°C', digits: 1 },
  { key: 'motor_temperature', label: 'Motor', unit: '°C', digits: 1 },
  { key: 'motor_vibration', label: 'Vibration', unit: 'g', digits: 2 },
  { key: 'soc', label: 'Charge', unit: '%', digits: 0, scale: 100 },
] as const

const scaled = (v: unknown, by: number) => (typeof v === 'number' ? v * by : v)

/**
 * The drilled-down vehicle's latest reading, live. While it is on screen the desk's stream is narrowed
 * to this vehicle (`subscribe`), and widened back to the fleet when the advisor leaves.
 */
export function LiveReadout({ vin, initial }: { vin: string; initial: Reading | null }) {
  const socket = useSocket()
  const [reading, setReading] = useState<Reading | null>(initial)
  useEffect(() => setReading(initial), [initial])
  useEffect(() => {
    if (!socket) return
    socket.subscribe([vin])
    return () => socket.subscribe([])
  }, [socket, vin])
  useSocketMessage('telemetry', (r) => {
    if (r.vin === vin) setReading(r)
  })

  if (!reading) return <p class="muted small">No live reading yet.</p>
  return (
    <div class="readout">
      {FIELDS.map((f) => (
        <div key={f.key} class="readout-item">
          <span class="readout-label">{f.label}</span>
          <span class="readout-value">
            {formatNumber(scaled(reading[f.key], 'scale' in f ? f.scale : 1), f.digits)}{' '}
            <span class="unit">{f.unit}</span>
          </span>
        </div>
      ))}
      <span class="small muted">at {formatDateTime(reading.timestamp)} (vehicle clock)</span>
    </div>
  )
}
