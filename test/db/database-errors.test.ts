import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/db/client.js'
import { connectionFailure, isConnectionError, mapDatabaseError } from '../../src/db/errors.js'

/** What `pg` and PGlite throw: an Error with a string `code` (SQLSTATE or Node's errno name). */
function driverError(message: string, code?: string): Error {
  return Object.assign(new Error(message), code ? { code } : {})
}

async function failure(run: () => Promise<unknown>): Promise<unknown> {
  return run().then(
    () => {
      throw new Error('expected a failure')
    },
    (err: unknown) => err,
  )
}

describe('database error mapping', () => {
  it.each([
    ['connection refused', driverError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['connection reset', driverError('read ECONNRESET', 'ECONNRESET')],
    [
      'admin shutdown (pg_terminate_backend)',
      driverError('terminating connection due to administrator command', '57P01'),
    ],
    ['cannot connect now (starting up)', driverError('the database system is starting up', '57P03')],
    ['connection failure', driverError('connection failure', '08006')],
    ['cannot establish a connection', driverError('could not connect', '08001')],
    ['too many connections', driverError('sorry, too many clients already', '53300')],
    ['a dropped socket', driverError('Connection terminated unexpectedly')],
    ['a pool timeout', driverError('timeout exceeded when trying to connect')],
    ['a closed PGlite', driverError('PGlite is closed')],
    ['a wrapped cause', new Error('query failed', { cause: driverError('x', 'ECONNREFUSED') })],
    [
      'one of several addresses',
      new AggregateError([driverError('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')]),
    ],
    // 55000 from a query is not about connections; from opening one it means "not accepting connections".
    [
      'a refused connection open',
      connectionFailure(driverError('database "x" is not currently accepting connections', '55000')),
    ],
  ])('maps %s to 503 DATABASE_UNAVAILABLE', (_what, err) => {
    expect(isConnectionError(err)).toBe(true)
    const mapped = mapDatabaseError(err)
    expect(mapped).toMatchObject({ code: 'DATABASE_UNAVAILABLE', statusCode: 503 })
    expect(mapped?.cause).toBe(err)
  })

  it.each([
    ['a unique violation', driverError('duplicate key', '23505'), 'ALREADY_EXISTS'],
    ['a foreign key violation', driverError('violates foreign key', '23503'), 'INVALID_REFERENCE'],
    ['a bad value', driverError('invalid input syntax', '22P02'), 'BAD_REQUEST'],
  ])('keeps %s a client error', (_what, err, code) => {
    expect(isConnectionError(err)).toBe(false)
    expect(mapDatabaseError(err)?.code).toBe(code)
  })

  it.each([
    ['a syntax error', driverError('syntax error at or near "selec"', '42601')],
    ['55000 from a query', driverError('currval of sequence is not yet defined', '55000')],
    ['a plain bug', new TypeError('cannot read properties of undefined')],
    ['not an error', 'boom'],
  ])('leaves %s unmapped (a 500)', (_what, err) => {
    expect(isConnectionError(err)).toBe(false)
    expect(mapDatabaseError(err)).toBeUndefined()
  })

  it('recognises what the pg driver really throws for a refused connection', async () => {
    // Port 1 on the loopback interface: nothing listens there, the connection is refused at once.
    const handle = await openDatabase({ kind: 'postgres', url: 'postgres://nobody@127.0.0.1:1/none' })
    const refused = await failure(() => sql`select 1`.execute(handle.db))
    await handle.close()
    expect(isConnectionError(refused)).toBe(true)
    expect(mapDatabaseError(refused)?.code).toBe('DATABASE_UNAVAILABLE')
  })
})
