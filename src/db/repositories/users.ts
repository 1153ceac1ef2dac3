import { sql } from 'kysely'
import type { Db } from '../client.js'
import type { NewUser, User, UserUpdate } from '../schema.js'

export function usersRepository(db: Db) {
  return {
    /** The spec's `get_user_by_email`; emails are stored lower-case. */
    getUserByEmail(email: string): Promise<User | undefined> {
      return db
        .selectFrom('users')
        .selectAll()
        .where('email', '=', email.trim().toLowerCase())
        .executeTakeFirst()
    },

    getUserById(id: string): Promise<User | undefined> {
      return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()
    },

    createUser(user: NewUser): Promise<User> {
      return db
        .insertInto('users')
        .values({ ...user, email: user.email.trim().toLowerCase() })
        .returningAll()
        .executeTakeFirstOrThrow()
    },

    /** With `revoke`, also bumps the token version: every token issued so far stops working. */
    updateUser(id: string, patch: UserUpdate, revoke = false): Promise<User | undefined> {
      const values = patch.email === undefined ? patch : { ...patch, email: patch.email.trim().toLowerCase() }
      return db
        .updateTable('users')
        .set(revoke ? { ...values, token_version: sql<number>`token_version + 1` } : values)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst()
    },

    /** What a token is checked against on every request. */
    sessionState(id: string) {
      return db
        .selectFrom('users')
        .select(['role', 'token_version', 'disabled_at'])
        .where('id', '=', id)
        .executeTakeFirst()
    },

    async countUsers(): Promise<number> {
      const row = await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
      return Number(row.n)
    },

    /** Ids of the users who should hear about fleet-wide events (service and manufacturer). */
    async staffIds(): Promise<Array<{ id: string; role: User['role'] }>> {
      return db.selectFrom('users').select(['id', 'role']).where('role', '<>', 'customer').execute()
    },
  }
}

export type UsersRepository = ReturnType<typeof usersRepository>
