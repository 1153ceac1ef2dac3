import { createServer, type Server } from 'node:http'

export interface MetricsEndpointStats {
  status: 'idle' | 'up' | 'unavailable' | 'closed'
  /** The port listened on (the configured one; the bound one once up). */
  port: number
  reason: string | null
  scrapes: number
}

interface Exposition {
  text(): Promise<string>
  readonly contentType: string
}

interface Logger {
  info(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

/**
 * `GET /metrics` on a port of its own (METRICS_PORT), without authentication: for a Prometheus
 * on the private network, and for processes without the API (workers). A port in use leaves the
 * service up with the endpoint reported unavailable, as the MQTT intake does.
 */
export class MetricsServer {
  private server: Server | undefined
  private readonly stats_: MetricsEndpointStats

  constructor(
    private readonly metrics: Exposition,
    private readonly listenOn: { port: number; host: string },
    private readonly log: Logger,
  ) {
    this.stats_ = { status: 'idle', port: listenOn.port, reason: null, scrapes: 0 }
  }

  get stats(): MetricsEndpointStats {
    return { ...this.stats_ }
  }

  /** Listens; resolves once up or unavailable, never rejects. Idempotent. */
  start(): Promise<void> {
    if (this.server || this.stats_.status === 'closed') return Promise.resolve()
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0]
      if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found: GET /metrics\n')
        return
      }
      this.stats_.scrapes++
      this.metrics.text().then(
        (text) => res.writeHead(200, { 'content-type': this.metrics.contentType }).end(text),
        (err: unknown) => {
          this.log.error({ err }, 'metrics scrape failed')
          res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics unavailable\n')
        },
      )
    })
    this.server = server
    return new Promise((resolve) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        this.stats_.status = 'unavailable'
        this.stats_.reason = `${err.code ?? 'error'} on port ${this.listenOn.port}: ${err.message}`
        this.log.error({ port: this.listenOn.port, err: err.message }, 'metrics port unavailable')
        resolve()
      })
      server.listen(this.listenOn.port, this.listenOn.host, () => {
        const address = server.address()
        this.stats_.port = typeof address === 'object' && address ? address.port : this.listenOn.port
        this.stats_.status = 'up'
        this.log.info({ port: this.stats_.port, path: '/metrics' }, 'metrics endpoint up')
        resolve()
      })
    })
  }

  async close(): Promise<void> {
    const server = this.server
    this.stats_.status = 'closed'
    if (!server?.listening) return
    await new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
  }
}
