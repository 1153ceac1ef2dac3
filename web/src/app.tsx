import type { ComponentChildren } from 'preact'
import { useEffect } from 'preact/hooks'
import { RouteGuard } from './components/route-guard'
import { DashboardShell } from './components/shell'
import { match, navigate, useLocation } from './lib/router'
import { isExpired, loadSession, ROLE_HOME } from './lib/session'
import type { Role } from './lib/types'
import { CustomerDashboard } from './pages/customer/customer-dashboard'
import { LoginPage } from './pages/login-page'
import { ManufacturingDashboard } from './pages/manufacturing/manufacturing-dashboard'
import { ServiceDashboard } from './pages/service/service-dashboard'
import { ManufacturingAlarms, ManufacturingNav } from './pages/staff/manufacturing-alarms'

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to])
  return null
}

function NotFound() {
  const session = loadSession()
  return (
    <main class="page-center" id="main">
      <section class="card narrow">
        <p class="eyebrow">Error 404</p>
        <h1>There is no page here</h1>
        <a class="btn" href={session ? ROLE_HOME[session.user.role] : '/login'}>
          {session ? 'Go to my dashboard' : 'Sign in'}
        </a>
      </section>
    </main>
  )
}

function Dashboard({
  needs,
  title,
  path,
  children,
}: {
  needs: Role
  title: string
  path: string
  children: () => ComponentChildren
}) {
  return (
    <RouteGuard needs={needs} path={path}>
      {(session) => (
        <DashboardShell session={session} title={title}>
          {children()}
        </DashboardShell>
      )}
    </RouteGuard>
  )
}

export function App() {
  const { path } = useLocation()

  useEffect(() => {
    // Each page gets its own title, for tabs, history and screen readers.
    document.title = `${path.startsWith('/dashboard') ? path.split('/')[2] : 'Sign in'} · Autonoma`
  }, [path])

  if (path === '/') {
    const s = loadSession()
    return <Redirect to={s && !isExpired(s) ? ROLE_HOME[s.user.role] : '/login'} />
  }
  if (path === '/login') return <LoginPage />
  if (path === '/dashboard/customer') {
    return (
      <Dashboard needs="customer" title="My vehicles" path={path}>
        {() => <CustomerDashboard />}
      </Dashboard>
    )
  }
  const service =
    match('/dashboard/service', path) ??
    match('/dashboard/service/:section', path) ??
    match('/dashboard/service/vehicle/:vin', path)
  const section = service?.section
  if (service && (section === undefined || section === 'alarms' || section === 'fleet')) {
    return (
      <Dashboard needs="service" title="Service centre" path={path}>
        {() => <ServiceDashboard vin={service.vin ?? null} section={section} />}
      </Dashboard>
    )
  }
  if (match('/dashboard/manufacturing/alarms', path)) {
    return (
      <Dashboard needs="manufacturer" title="Quality insights" path={path}>
        {() => <ManufacturingAlarms />}
      </Dashboard>
    )
  }
  const mfg =
    match('/dashboard/manufacturing', path) ??
    match('/dashboard/manufacturing/insight/:id', path) ??
    match('/dashboard/manufacturing/vehicle/:vin', path)
  if (mfg) {
    return (
      <Dashboard needs="manufacturer" title="Quality insights" path={path}>
        {() => (
          <>
            <ManufacturingNav />
            <ManufacturingDashboard insightId={mfg.id ?? null} vin={mfg.vin ?? null} />
          </>
        )}
      </Dashboard>
    )
  }
  return <NotFound />
}
