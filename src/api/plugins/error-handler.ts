import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod'
import { mapDatabaseError } from '../../db/errors.js'
import { AppError, ERRORS, type ErrorCode } from '../../errors.js'

/** Seconds a client should wait before retrying, sent as `Retry-After` with these errors. */
const RETRY_AFTER_SECONDS: Partial<Record<ErrorCode, number>> = { DATABASE_UNAVAILABLE: 5 }

const FASTIFY_CLIENT_ERRORS: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
}

/**
 * The client went away mid-request (its body stream was aborted). Node reports that as
 * ECONNRESET, which would otherwise read as a lost database connection.
 */
function isClientAbort(error: FastifyError, request: FastifyRequest): boolean {
  const raw = request.raw
  return (raw.destroyed && !raw.complete) || error.message === 'aborted' || error.code === 'ECONNABORTED'
}

function toAppError(error: FastifyError, request: FastifyRequest): AppError {
  if (error instanceof AppError) return error
  if (isClientAbort(error, request)) return new AppError('CLIENT_ABORTED')
  if (hasZodFastifySchemaValidationErrors(error)) {
    const where = error.validationContext ?? 'body'
    const fields = error.validation.map((v) => {
      const path = v.instancePath.replace(/^\//, '').replaceAll('/', '.')
      return { field: path ? `${where}.${path}` : where, message: v.message ?? 'is not valid' }
    })
    const names = fields.map((f) => f.field).join(', ')
    return new AppError('VALIDATION_FAILED', `Invalid ${names}`, { fields })
  }
  // Connection loss (-> 503 DATABASE_UNAVAILABLE) and constraint violations (-> 4xx).
  const mapped = mapDatabaseError(error)
  if (mapped) return mapped
  const status = error.statusCode ?? 500
  if (status >= 400 && status < 500 && !isResponseSerializationError(error)) {
    const code = FASTIFY_CLIENT_ERRORS[error.code] ?? (status === 404 ? 'ROUTE_NOT_FOUND' : 'BAD_REQUEST')
    return new AppError(code, ERRORS[code].status === status ? error.message : undefined)
  }
  return new AppError('INTERNAL')
}

/**
 * Fastify's own refusals before routing (a URL that is not valid percent-encoding, a path
 * segment over the length limit): the same catalog body as every other error. Set as the
 * `frameworkErrors` option in app.ts.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const code: ErrorCode = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'URI_TOO_LONG' : 'BAD_REQUEST'
  const message = code === 'BAD_REQUEST' ? 'The URL is not valid (bad percent-encoding)' : undefined
  return respond(new AppError(code, message), error, request, reply)
}

function respond(appErr: AppError, error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (appErr.code === 'CLIENT_ABORTED') {
    // Nobody is left to answer; worth a line, not an alarm.
    request.log.info({ code: appErr.code, cause: error.message }, 'client aborted the request')
    return reply.code(appErr.statusCode).send()
  }
  if (appErr.code === 'DATABASE_UNAVAILABLE') {
    // An outage, not a bug: one line per request, without the stack.
    request.log.warn({ code: appErr.code, cause: error.message }, 'request failed: database unavailable')
  } else if (appErr.statusCode >= 500 && appErr.code !== 'INTAKE_BUSY') {
    // The real error goes to the log; the client gets the catalog's words and nothing internal.
    request.log.error({ err: error, code: appErr.code }, 'request failed')
  } else {
    request.log.info(
      { code: appErr.code, status: appErr.statusCode, details: appErr.details },
      appErr.message,
    )
  }
  const body: { error: { code: ErrorCode; message: string; details?: unknown } } = {
    error: { code: appErr.code, message: appErr.message },
  }
  if (appErr.details !== undefined && appErr.statusCode < 500) body.error.details = appErr.details
  const retryAfter = appErr.retryAfterSeconds ?? RETRY_AFTER_SECONDS[appErr.code]
  if (retryAfter !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfter))))
  return reply.code(appErr.statusCode).type('application/json').send(body)
}

async function errorHandlerPlugin(app: FastifyInstance) {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) =>
    respond(toAppError(error, request), error, request, reply),
  )

  app.setNotFoundHandler((request, reply) => {
    const err = new AppError('ROUTE_NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}`)
    return reply.code(404).send({ error: { code: err.code, message: err.message } })
  })
}

export default fp(errorHandlerPlugin, { name: 'error-handler' })
