import type { Dialect } from 'kysely'

/** What the database connections are doing right now (metrics read it at scrape time). */
export interface PoolState {
  /** Connections open. */
  total: number
  /** Open and not checked out. */
  idle: number
  /** Queries (or COPYs) waiting for a connection. */
  waiting: number
  /** The most the pool opens. */
  max: number
}

/**
 * PGlite has one connection, which its Kysely driver hands out in turn: this counts who holds it
 * and who waits, by wrapping the driver's acquire and release (two integer updates per query).
 */
export function countingDialect(inner: Dialect): { dialect: Dialect; state(): PoolState } {
  let held = 0
  let waiting = 0
  const dialect: Dialect = {
    createAdapter: () => inner.createAdapter(),
    createQueryCompiler: () => inner.createQueryCompiler(),
    createIntrospector: (db) => inner.createIntrospector(db),
    createDriver() {
      const driver = inner.createDriver()
      const acquire = driver.acquireConnection.bind(driver)
      const release = driver.releaseConnection.bind(driver)
      driver.acquireConnection = async () => {
        waiting++
        try {
          const connection = await acquire()
          held++
          return connection
        } finally {
          waiting--
        }
      }
      driver.releaseConnection = (connection) => {
        held--
        return release(connection)
      }
      return driver
    },
  }
  return {
    dialect,
    state: () => ({ total: 1, idle: held > 0 ? 0 : 1, waiting, max: 1 }),
  }
}
