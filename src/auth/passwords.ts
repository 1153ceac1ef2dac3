import { type Algorithm, hash, verify } from '@node-rs/argon2'

// `Algorithm.Argon2id`; the package exports a const enum, which isolated modules cannot inline.
const ARGON2ID = 2 as Algorithm

/** argon2id with the library's defaults (19 MiB, t=2, p=1: the OWASP baseline). */
export function hashPassword(password: string): Promise<string> {
  return hash(password, { algorithm: ARGON2ID })
}

let dummyHash: Promise<string> | undefined

/**
 * Verifies a password. With no stored hash (unknown email) it still verifies against a dummy
 * hash, so "no such user" and "wrong password" take the same time and cannot be told apart.
 */
export async function verifyPassword(storedHash: string | undefined, password: string): Promise<boolean> {
  dummyHash ??= hashPassword('autonoma-dummy-password-for-timing')
  const target = storedHash ?? (await dummyHash)
  try {
    const ok = await verify(target, password)
    return ok && storedHash !== undefined
  } catch {
    return false
  }
}
