import { and, eq, or, sql, type SQL } from 'drizzle-orm';
import { blocks } from './blocks.schema';

/** Rows of `blocks` by which either of `a` and `b` has blocked the other (two primary-key probes). */
export function blocksBetween(a: SQL | string, b: SQL | string): SQL {
  return or(
    and(eq(blocks.blockerId, a), eq(blocks.blockedId, b)),
    and(eq(blocks.blockerId, b), eq(blocks.blockedId, a)),
  ) as SQL;
}

/**
 * "Either of `a` and `b` has blocked the other" as an SQL condition, for a module that must decide
 * it inside a statement of its own (chat's send path: one round trip instead of two). The blocks
 * table stays the users module's: other modules embed this condition, never the table.
 */
export function blockedEitherCondition(a: SQL, b: SQL): SQL<boolean> {
  return sql<boolean>`exists (select 1 from ${blocks} where ${blocksBetween(a, b)})`;
}
