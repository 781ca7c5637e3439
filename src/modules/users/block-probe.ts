import { sql, type SQL } from 'drizzle-orm';
import { blocks } from './blocks.schema';

/**
 * "Either of `a` and `b` has blocked the other" as an SQL condition, for a module that must decide
 * it inside a statement of its own (chat's send path: one round trip instead of two). The blocks
 * table stays the users module's: other modules embed this condition, never the table.
 */
export function blockedEitherCondition(a: SQL, b: SQL): SQL<boolean> {
  return sql<boolean>`exists (select 1 from ${blocks} where (${blocks.blockerId} = ${a} and ${blocks.blockedId} = ${b}) or (${blocks.blockerId} = ${b} and ${blocks.blockedId} = ${a}))`;
}
