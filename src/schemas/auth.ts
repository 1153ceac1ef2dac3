import { z } from 'zod'
import { RoleSchema } from '../domain.js'

/**
 * JSON `{email, password}`, or the OAuth2 password form (`username`, `password`) that many
 * clients and Swagger UI send as `application/x-www-form-urlencoded`.
 */
export const LoginBodySchema = z
  .object({
    email: z.string().trim().toLowerCase().max(254).optional(),
    username: z.string().trim().toLowerCase().max(254).optional(),
    password: z.string().min(1).max(1024),
    grant_type: z.literal('password').optional(),
  })
  .refine((b) => Boolean(b.email || b.username), {
    message: 'email (or username) is required',
    path: ['email'],
  })

export const UserPublicSchema = z
  .object({ id: z.uuid(), email: z.string(), role: RoleSchema, name: z.string().optional() })
  .meta({ id: 'User' })

export const LoginResponseSchema = z.object({
  access_token: z.string(),
  token_type: z.literal('bearer'),
  expires_in: z.number().int().describe('seconds until the token expires'),
  user: UserPublicSchema,
})
