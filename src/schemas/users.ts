import { z } from 'zod'
import type { User } from '../db/schema.js'
import { RoleSchema } from '../domain.js'
import { iso } from './common.js'

const EmailSchema = z.string().trim().toLowerCase().max(254).pipe(z.email())
/** New passwords: 8 to 1024 characters (the demo's shorter ones predate the rule). */
const PasswordSchema = z.string().min(8).max(1024)
const NameSchema = z.string().trim().max(200)

/** The spec's UserCreate. */
export const UserCreateSchema = z
  .object({
    email: EmailSchema,
    password: PasswordSchema,
    role: RoleSchema,
    name: NameSchema.optional(),
    service_center_id: z.uuid().nullable().optional().describe('the centre a service user works at'),
  })
  .meta({ id: 'UserCreate' })

export const UserUpdateSchema = z
  .object({
    email: EmailSchema,
    password: PasswordSchema,
    role: RoleSchema,
    name: NameSchema,
    service_center_id: z.uuid().nullable(),
    disabled: z.boolean().describe('true: the account cannot sign in and its sessions end at once'),
  })
  .partial()
  .refine((b) => Object.keys(b).length > 0, { message: 'name at least one field to change' })
  .meta({ id: 'UserUpdate' })

/** The spec's UserResponse: never the password hash. */
export const UserResponseSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    role: RoleSchema,
    name: z.string(),
    service_center_id: z.uuid().nullable(),
    disabled: z.boolean(),
    created_at: z.string(),
  })
  .meta({ id: 'UserResponse' })

export type UserResponse = z.infer<typeof UserResponseSchema>

/** A `users` row as the API shows it: the hash is left out by construction, not by deletion. */
export function toUserResponse(u: User): UserResponse {
  return {
    id: u.id,
    email: u.email,
    role: u.role,
    name: u.name,
    service_center_id: u.service_center_id,
    disabled: u.disabled_at !== null,
    created_at: iso(u.created_at),
  }
}
