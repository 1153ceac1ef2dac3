import { AppError } from '../errors.js'

/**
 * C0 controls except tab, newline and carriage return, DEL, C1 controls, and unpaired UTF-16
 * surrogates. PostgreSQL cannot store NUL in text or any of them in jsonb escapes, and none belongs
 * in a name, a note or an id; tab and newlines do (a multi-line note).
 */
const FORBIDDEN =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Schemas whose strings are checked item by item by their route (the device intake's readings). */
const exempt = new WeakSet<object>()

/** Marks a schema whose route answers bad characters per item instead of refusing the request. */
export function checksOwnCharacters<T extends object>(schema: T): T {
  exempt.add(schema)
  return schema
}

export function isCheckedByItsRoute(schema: unknown): boolean {
  return typeof schema === 'object' && schema !== null && exempt.has(schema)
}

function describe(char: string): string {
  return `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`
}

/** The 400 for a forbidden character in `part` (body, querystring, params), or undefined. */
export function forbiddenCharacterError(part: string, data: unknown): AppError | undefined {
  const found = findForbiddenCharacter(data)
  if (!found) return undefined
  if (found === 'unchecked') {
    const message = 'too many values to check; send fewer'
    return new AppError('VALIDATION_FAILED', `Invalid ${part}: ${message}`, {
      fields: [{ field: part, message }],
    })
  }
  const field = found.path ? `${part}.${found.path}` : part
  const message = `control characters are not allowed (found ${describe(found.char)})`
  return new AppError('VALIDATION_FAILED', `Invalid ${field}: ${message}`, { fields: [{ field, message }] })
}

/**
 * The path of the first string (value or key) with a forbidden character, and that character;
 * 'unchecked' when the input holds more values than are checked (it is refused, never let through).
 */
export function findForbiddenCharacter(
  value: unknown,
): { path: string; char: string } | 'unchecked' | undefined {
  // Iterative, so a deeply nested body cannot overflow the stack.
  const stack: Array<{ value: unknown; path: string }> = [{ value, path: '' }]
  let visited = 0
  while (stack.length > 0 && visited++ < 100_000) {
    const { value: v, path } = stack.pop() as { value: unknown; path: string }
    if (typeof v === 'string') {
      const m = FORBIDDEN.exec(v)
      if (m) return { path, char: m[0] }
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--)
        stack.push({ value: v[i], path: path ? `${path}.${i}` : String(i) })
    } else if (v !== null && typeof v === 'object') {
      for (const [key, inner] of Object.entries(v)) {
        const at = path ? `${path}.${key}` : key
        const m = FORBIDDEN.exec(key)
        if (m) return { path: at, char: m[0] }
        stack.push({ value: inner, path: at })
      }
    }
  }
  return stack.length > 0 ? 'unchecked' : undefined
}
