import { linkClick } from '../../lib/router'
import { BookingQueue } from './booking-queue'
import { FleetList, VehicleDrilldown } from './vehicle-drilldown'

export function ServiceDashboard({ vin }: { vin: string | null }) {
  return (
    <div class="layout-two">
      <div class="col-main">
        {vin ? (
          <>
            <a class="back" href="/dashboard/service" onClick={(e) => linkClick(e, '/dashboard/service')}>
              ← Back to the queue
            </a>
            <VehicleDrilldown vin={vin} />
          </>
        ) : (
          <BookingQueue />
        )}
      </div>
      <aside class="col-side">
        <FleetList selected={vin} />
      </aside>
    </div>
  )
}
