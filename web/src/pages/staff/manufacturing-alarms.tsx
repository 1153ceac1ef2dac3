import { AlarmConsole } from './alarm-console'
import { StaffNav } from './staff-nav'

const BASE = '/dashboard/manufacturing/alarms'

/** The alarm console for quality engineers (no service drill-down: the timeline opens in place). */
export function ManufacturingAlarms() {
  return (
    <>
      <div class="staff-bar">
        <StaffNav
          items={[
            { href: '/dashboard/manufacturing', label: 'Insights' },
            { href: BASE, label: 'Alarms' },
          ]}
          current={BASE}
        />
      </div>
      <AlarmConsole base={BASE} />
    </>
  )
}
