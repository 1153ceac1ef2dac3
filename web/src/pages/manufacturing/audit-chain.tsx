import { api } from '../../lib/api'
import { formatDateTime } from '../../lib/format'
import { useAsync } from '../../lib/hooks'
import type { AuditChainReport } from '../../lib/types'

const PROBLEMS: Record<string, string> = {
  content_changed: 'a row was changed (or forged) after it was written',
  link_broken: 'a row no longer follows the one before it',
  sequence_broken: 'a row is missing (deleted)',
  head_mismatch: 'the newest rows are missing, or the head was moved',
}

/**
 * The audit log's integrity (GET /api/ueba/verify): whether the hash chain holds and, if not,
 * where it first breaks; and whether rows wait for the database or were lost to a full spool.
 */
export function AuditChain() {
  const report = useAsync((signal) => api<AuditChainReport>('/api/ueba/verify', { signal }), [])
  const r = report.data
  const broken = r?.first_broken
  return (
    <div class="audit-chain" data-testid="audit-chain" role="status">
      {report.loading && !r && <span class="small muted">Verifying the audit log…</span>}
      {report.error && (
        <span class="inline-error">Could not verify the audit log: {report.error.message}</span>
      )}
      {r && !broken && (
        <span class="drill-ok" data-chain="ok">
          Audit log intact: {r.checked.toLocaleString()} rows chained
          {r.unhashed > 0 ? `, ${r.unhashed} older rows waiting to be chained` : ''}.
        </span>
      )}
      {broken && (
        <span class="inline-error" data-chain="broken">
          Audit log tampered with at row #{broken.seq}
          {broken.timestamp ? ` (${formatDateTime(broken.timestamp)})` : ''}: {PROBLEMS[broken.problem]}.
          {broken.id ? ` Row ${broken.id}.` : ''}
        </span>
      )}
      {r && r.audit.spooled > 0 && (
        <span class="inline-error" data-audit="spooled">
          {r.audit.spooled} audit rows are waiting for the database ({r.audit.spool}).
        </span>
      )}
      {r && r.audit.lost > 0 && (
        <span class="inline-error" data-audit="lost">
          {r.audit.lost} audit rows were lost (spool full) since the service started.
        </span>
      )}
      <button type="button" class="btn btn-ghost btn-small" disabled={report.loading} onClick={report.reload}>
        Verify again
      </button>
    </div>
  )
}
