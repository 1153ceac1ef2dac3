import { linkClick } from '../../lib/router'

export interface NavItem {
  href: string
  label: string
}

/** The staff pages' tabs; the current one is marked for screen readers too. */
export function StaffNav({ items, current }: { items: NavItem[]; current: string }) {
  return (
    <nav class="staff-nav" aria-label="Sections">
      {items.map((i) => (
        <a
          key={i.href}
          href={i.href}
          class={`staff-tab${current === i.href ? ' active' : ''}`}
          aria-current={current === i.href ? 'page' : undefined}
          onClick={(e) => linkClick(e, i.href)}
        >
          {i.label}
        </a>
      ))}
    </nav>
  )
}
