import { errors as joseErrors, jwtVerify, SignJWT } from 'jose'
import type { Config } from '../config.js'
import { ROLES, type Role } from '../domain.js'
import { AppError } from '../errors.js'

export interface AuthUser {
  id: string
  email: string
  role: Role
}

/** A verified token: who, and what a session check and an expiry timer need. */
export interface TokenClaims extends AuthUser {
  /** The account's token version when it was signed (`ver`); a newer one in the database revokes it. */
  tokenVersion: number
  /** Epoch milliseconds of `exp`. */
  expiresAt: number
}

export interface TokenService {
  sign(user: AuthUser & { tokenVersion: number }): Promise<{ token: string; expiresIn: number }>
  /** Throws AUTH_TOKEN_EXPIRED or AUTH_TOKEN_INVALID. Revocation is the session check's job. */
  verify(token: string): Promise<TokenClaims>
}

export function createTokenService(jwt: Config['jwt']): TokenService {
  const key = new TextEncoder().encode(jwt.secret)
  return {
    async sign(user) {
      const token = await new SignJWT({ role: user.role, email: user.email, ver: user.tokenVersion })
        .setProtectedHeader({ alg: jwt.algorithm, typ: 'JWT' })
        .setSubject(user.id)
        .setIssuer(jwt.issuer)
        .setAudience(jwt.audience)
        .setIssuedAt()
        .setExpirationTime(`${jwt.expiresInSeconds}s`)
        .sign(key)
      return { token, expiresIn: jwt.expiresInSeconds }
    },

    async verify(token) {
      try {
        // Pinning the algorithm list is what rejects `alg: none` and algorithm-confusion tokens.
        const { payload } = await jwtVerify(token, key, {
          algorithms: [jwt.algorithm],
          issuer: jwt.issuer,
          audience: jwt.audience,
          requiredClaims: ['sub', 'exp', 'iat'],
        })
        const { role, ver } = payload
        if (typeof payload.sub !== 'string' || typeof payload.email !== 'string' || !isRole(role)) {
          throw new AppError('AUTH_TOKEN_INVALID')
        }
        // Tokens from before versions existed count as version 0: the first revocation ends them.
        const tokenVersion = ver === undefined ? 0 : ver
        if (typeof tokenVersion !== 'number' || !Number.isInteger(tokenVersion) || tokenVersion < 0) {
          throw new AppError('AUTH_TOKEN_INVALID')
        }
        return {
          id: payload.sub,
          email: payload.email,
          role,
          tokenVersion,
          expiresAt: (payload.exp ?? 0) * 1000,
        }
      } catch (err) {
        if (err instanceof AppError) throw err
        if (err instanceof joseErrors.JWTExpired) throw new AppError('AUTH_TOKEN_EXPIRED')
        throw new AppError('AUTH_TOKEN_INVALID')
      }
    },
  }
}

function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value)
}
