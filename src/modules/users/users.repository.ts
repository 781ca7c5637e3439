import { Inject, Injectable } from '@nestjs/common';
import { eq, sql } from 'drizzle-orm';
import { DATABASE, type Database } from '../../infra/database/database.types';
import { users, type NewUserRow, type UserRow } from './users.schema';

const UNIQUE_VIOLATION = '23505';

export class UniqueViolation extends Error {
  constructor(readonly constraint: string) {
    super(`unique violation: ${constraint}`);
  }
}

function uniqueConstraintOf(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 4; depth += 1) {
    const pgError = current as Error & { code?: string; constraint?: string };
    if (pgError.code === UNIQUE_VIOLATION) return pgError.constraint ?? 'unknown';
    current = (current as Error & { cause?: unknown }).cause;
  }
  return undefined;
}

/** The only class that queries the users table. */
@Injectable()
export class UsersRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async findById(id: string): Promise<UserRow | undefined> {
    const [row] = await this.db.select().from(users).where(eq(users.id, id)).limit(1);
    return row;
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

  async updatePasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.db
      .update(users)
      .set({ passwordHash, updatedAt: new Date() })
      .where(eq(users.id, id));
  }
}
