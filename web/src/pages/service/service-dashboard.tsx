import { linkClick } from '../../lib/router'
import { AlarmConsole } from '../staff/alarm-console'
import { CriticalWatch } from '../staff/critical-watch'
import { FleetOverview } from '../staff/fleet-overview'
import { StaffNav } from '../staff/staff-nav'
import { BookingQueue } from './booking-queue'
import { FleetList, VehicleDrilldown } from './vehicle-drilldown'

export type ServiceSection = 'queue' | 'alarms' | 'fleet' | 'vehicle'

const HOME = '/dashboard/service'
const NAV = [
  { href: HOME, label: 'Appointments' },
  { href: `${HOME}/alarms`, label: 'Alarms' },
  { href: `${HOME}/fleet`, label: 'Fleet' },
]
const vehicleHref = (vin: string) => `${HOME}/vehicle/${encodeURIComponent(vin)}`

export function ServiceDashboard({
  vin,
  section = vin ? 'vehicle' : 'queue',
}: {
  vin: string | null
  section?: ServiceSection
}) {
  const current = section === 'alarms' ? NAV[1]!.href : section === 'fleet' ? NAV[2]!.href : HOME
  return (
    <>
      <div class="staff-bar">
        <StaffNav items={NAV} current={section === 'vehicle' ? '' : current} />
        {section !== 'alarms' && <CriticalWatch />}
      </div>
      {section === 'alarms' ? (
        <AlarmConsole base={`${HOME}/alarms`} vehicleHref={vehicleHref} />
      ) : section === 'fleet' ? (
        <FleetOverview base={`${HOME}/fleet`} vehicleHref={vehicleHref} />
      ) : (
        <div class="layout-two">
          <div class="col-main">
            {vin ? (
              <>
                <a class="back" href={HOME} onClick={(e) => linkClick(e, HOME)}>
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
      )}
    </>
  )
}
