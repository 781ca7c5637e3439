import { Inject, Injectable } from '@nestjs/common';
import { and, eq, ne, notExists, sql, type SQL } from 'drizzle-orm';
import { DATABASE, type Database } from '../../infra/database/database.types';
import { blocks } from './blocks.schema';
import {
  profileColumns,
  users,
  type NewUserRow,
  type ProfileRow,
  type UserRow,
} from './users.schema';

const UNIQUE_VIOLATION = '23505';

export class UniqueViolation extends Error {
  constructor(readonly constraint: string) {
    super(`unique violation: ${constraint}`);
  }
}

export function uniqueConstraintOf(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 4; depth += 1) {
    const pgError = current as Error & { code?: string; constraint?: string };
    if (pgError.code === UNIQUE_VIOLATION) return pgError.constraint ?? 'unknown';
    current = (current as Error & { cause?: unknown }).cause;
  }
  return undefined;
}

/** `%`, `_` and `\` typed by a user match themselves, not "anything" (LIKE's escape is `\`). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

export interface UserSearch {
  callerId: string;
  /** Typed by the user; matched as a literal, case-insensitive prefix of the username. */
  prefix: string;
  /** lower(username) of the last row of the previous page. */
  after?: string;
  limit: number;
}

export interface ProfileChanges {
  username?: string;
  bio?: string;
  avatarMediaId?: string | null;
}

/** The only class that queries the users table. */
@Injectable()
export class UsersRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /**
   * Built once: drizzle's query building was a third of a busy server's CPU on the hottest reads
   * (GET /me runs this on every call), and a named statement is parsed once per connection.
   */
  private byId?: ReturnType<UsersRepository['prepareById']>;

  private prepareById() {
    return this.db
      .select()
      .from(users)
      .where(eq(users.id, sql.placeholder('id')))
      .limit(1)
      .prepare('users_find_by_id');
  }

  async findById(id: string): Promise<UserRow | undefined> {
    this.byId ??= this.prepareById();
    const [row] = await this.byId.execute({ id });
    return row;
  }

  async findProfileById(id: string): Promise<ProfileRow | undefined> {
    const [row] = await this.db.select(profileColumns).from(users).where(eq(users.id, id)).limit(1);
    return row;
  }

  /** Profiles of those of `ids` that exist, in one statement (chat: conversation members). */
  async findProfilesByIds(ids: readonly string[]): Promise<ProfileRow[]> {
    if (ids.length === 0) return [];
    this.profilesByIds ??= this.prepareProfilesByIds();
    return this.profilesByIds.execute({ ids: [...ids] });
  }

  /** Built once like byId, one statement whatever the number of ids (GET /conversations). */
  private profilesByIds?: ReturnType<UsersRepository['prepareProfilesByIds']>;

  private prepareProfilesByIds() {
    return this.db
      .select(profileColumns)
      .from(users)
      .where(sql`${users.id} = any(${sql.placeholder('ids')}::uuid[])`)
      .prepare('users_find_profiles_by_ids');
  }

  async findByEmail(email: string): Promise<UserRow | undefined> {
    const [row] = await this.db.select().from(users).where(eq(users.email, email)).limit(1);
    return row;
  }

  async findByUsername(username: string): Promise<UserRow | undefined> {
    const [row] = await this.db
      .select()
      .from(users)
      .where(sql`lower(${users.username}) = lower(${username})`)
      .limit(1);
    return row;
  }

  /** Inserts a user; a taken username or email surfaces as UniqueViolation naming the index. */
  async insert(row: NewUserRow): Promise<UserRow> {
    try {
      const [created] = await this.db.insert(users).values(row).returning();
      return created;
    } catch (error) {
      const constraint = uniqueConstraintOf(error);
      if (constraint) throw new UniqueViolation(constraint);
      throw error;
    }
  }

  /** Applies the given changes; a taken username surfaces as UniqueViolation. */
  async updateProfile(id: string, changes: ProfileChanges): Promise<UserRow | undefined> {
    try {
      const [row] = await this.db
        .update(users)
        .set({ ...changes, updatedAt: new Date() })
        .where(eq(users.id, id))
        .returning();
      return row;
    } catch (error) {
      const constraint = uniqueConstraintOf(error);
      if (constraint) throw new UniqueViolation(constraint);
      throw error;
    }
  }

  async updatePasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.db
      .update(users)
      .set({ passwordHash, updatedAt: new Date() })
      .where(eq(users.id, id));
  }

  async updateLastSeen(id: string, at: Date): Promise<void> {
    await this.db.update(users).set({ lastSeenAt: at }).where(eq(users.id, id));
  }

  async search(input: UserSearch): Promise<ProfileRow[]> {
    return this.searchQuery(input);
  }

  /**
   * Username-prefix search, served by `users_username_lower_key` (a btree on lower(username)
   * with text_pattern_ops): the LIKE prefix and the `~>~` keyset bound are both range conditions
   * on that index, and `ORDER BY … USING ~<~` is that index's own order, so a page is an index
   * range scan that stops after `limit` rows, never a sort of every match. lower(username) is
   * unique, so it alone is a total order for the keyset. Public for the query-plan test.
   */
  searchQuery(input: UserSearch) {
    const key = sql`lower(${users.username})`;
    const conditions: (SQL | undefined)[] = [
      sql`${key} like lower(${escapeLike(input.prefix)}::text) || '%'`,
      input.after === undefined ? undefined : sql`${key} ~>~ ${input.after}::text`,
      ne(users.id, input.callerId),
      // Neither side of a block finds the other.
      notExists(
        this.db
          .select({ one: sql`1` })
          .from(blocks)
          .where(and(eq(blocks.blockerId, input.callerId), eq(blocks.blockedId, users.id))),
      ),
      notExists(
        this.db
          .select({ one: sql`1` })
          .from(blocks)
          .where(and(eq(blocks.blockerId, users.id), eq(blocks.blockedId, input.callerId))),
      ),
    ];
    return this.db
      .select(profileColumns)
      .from(users)
      .where(and(...conditions))
      .orderBy(sql`${key} using ~<~`)
      .limit(input.limit);
  }
}
