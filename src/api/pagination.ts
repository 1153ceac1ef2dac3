import { z } from 'zod'
import { AppError } from '../errors.js'
import { DateTimeSchema } from '../schemas/common.js'

/**
 * Keyset pagination over (time DESC, id DESC): the cursor is the last row's position, so pages
 * never skip or repeat rows when new ones arrive in between. Opaque to clients (base64url JSON).
 */
export interface Position {
  at: string
  id: string
}

export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify([position.at, position.id])).toString('base64url')
}

const PositionSchema = z.tuple([DateTimeSchema, z.uuid()])

export function decodeCursor(cursor: string | undefined): Position | undefined {
  if (!cursor) return undefined
  try {
    const [at, id] = PositionSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')))
    return { at, id }
  } catch {
    throw new AppError('VALIDATION_FAILED', 'Invalid querystring.cursor', {
      fields: [{ field: 'querystring.cursor', message: 'not a cursor this API returned' }],
    })
  }
}

export const PageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
})

/** Given `limit + 1` rows, the page and the cursor of the next one. */
export function page<T>(rows: T[], limit: number, position: (row: T) => Position) {
  const items = rows.slice(0, limit)
  const last = items[items.length - 1]
  return { items, next_cursor: rows.length > limit && last ? encodeCursor(position(last)) : null }
}
