import { humanize } from '../../lib/format'

function Scalar({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <span class="muted">—</span>
  if (typeof value === 'number') return <>{Number.isInteger(value) ? value : value.toFixed(3)}</>
  if (typeof value === 'boolean') return <>{value ? 'yes' : 'no'}</>
  return <>{String(value)}</>
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * The evidence of an insight is free-form JSON written by the RCA agent; render any shape readably:
 * objects as definition lists, lists of records as tables, everything else inline.
 */
export function EvidenceView({ value, depth = 0 }: { value: unknown; depth?: number }) {
  if (Array.isArray(value)) {
    if (value.length === 0) return <span class="muted">none</span>
    if (value.every(isPlainObject)) {
      const keys = [...new Set(value.flatMap((row) => Object.keys(row)))]
      return (
        <div class="table-scroll">
          <table class="table compact">
            <thead>
              <tr>
                {keys.map((k) => (
                  <th key={k} scope="col">
                    {humanize(k)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {value.slice(0, 50).map((row, i) => (
                <tr key={i}>
                  {keys.map((k) => (
                    <td key={k}>
                      {isPlainObject(row[k]) || Array.isArray(row[k]) ? (
                        <code>{JSON.stringify(row[k])}</code>
                      ) : (
                        <Scalar value={row[k]} />
                      )}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          {value.length > 50 && <p class="muted small">and {value.length - 50} more</p>}
        </div>
      )
    }
    return <span>{value.map((v) => (isPlainObject(v) ? JSON.stringify(v) : String(v))).join(', ')}</span>
  }
  if (isPlainObject(value)) {
    if (depth > 3) return <code>{JSON.stringify(value)}</code>
    return (
      <dl class="evidence">
        {Object.entries(value).map(([k, v]) => (
          <div key={k}>
            <dt>{humanize(k)}</dt>
            <dd>
              <EvidenceView value={v} depth={depth + 1} />
            </dd>
          </div>
        ))}
      </dl>
    )
  }
  return <Scalar value={value} />
}
