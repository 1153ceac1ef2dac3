import { ListStates } from '../../components/states'
import { api, query } from '../../lib/api'
import { formatDateTime, formatNumber, humanize } from '../../lib/format'
import { type AsyncState, useAsync } from '../../lib/hooks'
import { linkClick } from '../../lib/router'
import type { AffectedVehicle, FailureRates } from '../../lib/types'

export const RATE_UNIT = 'failures per 1,000 vehicle-days'

const rateText = (rate: number | null) => (rate === null ? '—' : formatNumber(rate, rate >= 100 ? 0 : 1))

export function vehicleHref(vin: string): string {
  return `/dashboard/manufacturing/vehicle/${encodeURIComponent(vin)}`
}

/**
 * Failure rates as a component x batch heat-map table: every component of the rules table and every
 * batch of the fleet from the start, each cell a rate per 1,000 vehicle-days (so a big batch does
 * not look worse for being big). The numbers are always printed; colour only reinforces them.
 */
export function FailureRateMatrix({
  rates,
  selected,
  onSelect,
}: {
  rates: AsyncState<FailureRates>
  selected: { component: string; batch: string }
  onSelect: (component: string, batch: string) => void
}) {
  return (
    <ListStates state={{ ...rates, data: rates.data ? [rates.data] : undefined }} empty="">
      {([data]) => {
        const r = data!
        const byKey = new Map(r.cells.map((c) => [`${c.component}\u0000${c.batch}`, c]))
        const max = Math.max(0, ...r.cells.map((c) => c.rate ?? 0))
        return (
          <div class="table-scroll">
            <table class="table heat" data-testid="failure-matrix">
              <caption class="visually-hidden">
                Failure rate, {RATE_UNIT}, by component (rows) and batch (columns)
              </caption>
              <thead>
                <tr>
                  <th scope="col">Component</th>
                  {r.batches.map((b) => (
                    <th key={b.batch} scope="col">
                      {b.batch}
                      <span class="small muted block">{b.vehicles} vehicles</span>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {r.components.map((component) => (
                  <tr key={component}>
                    <th scope="row">{humanize(component)}</th>
                    {r.batches.map(({ batch }) => {
                      const c = byKey.get(`${component}\u0000${batch}`)
                      const rate = c?.rate ?? null
                      // Five steps of one hue; the darkest two switch to white text to keep AA contrast.
                      const level = !rate || max === 0 ? 0 : Math.min(5, Math.ceil((rate / max) * 5))
                      const active = selected.component === component && selected.batch === batch
                      const detail = c
                        ? `${c.events} failures on ${c.affected_vehicles} vehicles over ${formatNumber(c.vehicle_days, 1)} vehicle-days`
                        : 'no data'
                      return (
                        <td
                          key={batch}
                          class={`heat-${level}${active ? ' active' : ''}`}
                          data-rate={rate ?? ''}
                        >
                          <button
                            type="button"
                            class="heat-cell"
                            aria-pressed={active}
                            title={detail}
                            onClick={() => (active ? onSelect('', '') : onSelect(component, batch))}
                          >
                            {rateText(rate)}
                            <span class="visually-hidden">
                              {' '}
                              {RATE_UNIT} for {component} in batch {batch}: {detail}
                            </span>
                          </button>
                        </td>
                      )
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      }}
    </ListStates>
  )
}

/** One cell's rate period by period, as a bar table with the value printed beside each bar. */
export function RateSeries({
  rates,
  component,
  batch,
}: {
  rates: FailureRates
  component: string
  batch: string
}) {
  const points = rates.series.filter((s) => s.component === component && s.batch === batch)
  if (points.length === 0)
    return <p class="small muted">No vehicle of this batch was observed in this window.</p>
  const max = Math.max(1, ...points.map((p) => p.rate ?? 0))
  return (
    <table class="table compact rate-series" data-testid="rate-series">
      <caption class="small muted">
        {humanize(component)}, batch {batch}: {RATE_UNIT}, per {rates.period}
      </caption>
      <thead>
        <tr>
          <th scope="col">{rates.period === 'week' ? 'Week of' : 'Day'}</th>
          <th scope="col">Rate</th>
          <th scope="col">Failures</th>
          <th scope="col">Vehicle-days</th>
        </tr>
      </thead>
      <tbody>
        {points.map((p) => (
          <tr key={p.period} data-period={p.period}>
            <th scope="row" class="nowrap">
              {p.period}
            </th>
            <td>
              <span
                class="rate-bar"
                style={{ width: `${((p.rate ?? 0) / max) * 100}%` }}
                aria-hidden="true"
              />
              <span class="rate-value">{rateText(p.rate)}</span>
            </td>
            <td>{p.events}</td>
            <td>{formatNumber(p.vehicle_days, 1)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** The VINs behind a cell, each a link to that vehicle's failure history. */
export function AffectedVehicles({ component, batch }: { component: string; batch: string }) {
  const q = query({ component, batch })
  const vehicles = useAsync(
    (signal) => api<AffectedVehicle[]>(`/api/failure-rates/vehicles${q}`, { signal }),
    [q],
  )
  return (
    <ListStates state={vehicles} empty="No vehicle of this batch has had this failure.">
      {(items) => (
        <div class="table-scroll">
          <table class="table compact" data-testid="affected-vehicles">
            <caption class="small muted">Affected vehicles</caption>
            <thead>
              <tr>
                <th scope="col">VIN</th>
                <th scope="col">Model</th>
                <th scope="col">Failure</th>
                <th scope="col">Episodes</th>
                <th scope="col">Last</th>
              </tr>
            </thead>
            <tbody>
              {items.map((v) => (
                <tr key={`${v.vin}-${v.anomaly_type}`}>
                  <td>
                    <a href={vehicleHref(v.vin)} onClick={(e) => linkClick(e, vehicleHref(v.vin))}>
                      <code>{v.vin}</code>
                    </a>
                  </td>
                  <td>{v.model}</td>
                  <td>
                    {humanize(v.anomaly_type)}
                    {v.open && <span class="pill pill-pending">open</span>}
                  </td>
                  <td>{v.events}</td>
                  <td class="nowrap">{formatDateTime(v.last_detected_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </ListStates>
  )
}
