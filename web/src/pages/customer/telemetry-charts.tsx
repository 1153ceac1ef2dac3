import { TelemetryPanel } from '../../components/telemetry-panel'

/** The owner's charts of one vehicle: live by default, with the same range picker staff have. */
export function TelemetryCharts({ vin }: { vin: string }) {
  return <TelemetryPanel vin={vin} />
}
