import { AlarmConsole } from './alarm-console'
import { StaffNav } from './staff-nav'

const BASE = '/dashboard/manufacturing/alarms'

const NAV = [
  { href: '/dashboard/manufacturing', label: 'Insights' },
  { href: BASE, label: 'Alarms' },
]

/** Tabs between the quality pages and the alarm console. */
export function ManufacturingNav({ current = NAV[0]!.href }: { current?: string }) {
  return (
    <div class="staff-bar">
      <StaffNav items={NAV} current={current} />
    </div>
  )
}

/** The alarm console for quality engineers (no service drill-down: the timeline opens in place). */
export function ManufacturingAlarms() {
  return (
    <>
      <ManufacturingNav current={BASE} />
      <AlarmConsole base={BASE} />
    </>
  )
}
