import { sql } from 'drizzle-orm';
import type { Database } from '../../infra/database/database.types';

/** A transaction, or the database itself: repositories run the same queries on either. */
export type Executor = Pick<Database, 'select' | 'insert' | 'update' | 'delete' | 'execute'>;

/**
 * Serialises every change to the relationship of one unordered pair (request, accept, decline,
 * unfriend, block) for the rest of the transaction. Two users requesting each other at the same
 * moment therefore run one after the other: the second sees the first's pending request and
 * accepts it. A hash collision only makes two unrelated pairs wait for each other.
 */
export async function lockPair(tx: Executor, a: string, b: string): Promise<void> {
  const key = a < b ? `${a}:${b}` : `${b}:${a}`;
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`);
}
