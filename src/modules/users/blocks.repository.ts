import { Inject, Injectable } from '@nestjs/common';
import { and, desc, eq, inArray, or, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { DATABASE, type Database } from '../../infra/database/database.types';
import { blocksBetween } from './block-probe';
import { blocks } from './blocks.schema';
import { friendRequests, friendships } from './friends.schema';
import { lockPair, type Executor } from './pair-lock';
import { profileColumns, users, type ProfileRow } from './users.schema';

export interface BlockedProfileRow {
  profile: ProfileRow;
  createdAt: Date;
}

/** Either of the two has blocked the other: two primary-key probes. */
export async function blockedEither(db: Executor, a: string, b: string): Promise<boolean> {
  const [row] = await db
    .select({ one: sql<number>`1` })
    .from(blocks)
    .where(blocksBetween(a, b))
    .limit(1);
  return row !== undefined;
}

@Injectable()
export class BlocksRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  isBlockedEither(a: string, b: string): Promise<boolean> {
    return blockedEither(this.db, a, b);
  }

  /** Those of `others` who have blocked `userId` or whom `userId` has blocked, in one statement. */
  async blockedEitherAmong(userId: string, others: readonly string[]): Promise<string[]> {
    if (others.length === 0) return [];
    const list = [...others];
    const rows = await this.db
      .select({ blockerId: blocks.blockerId, blockedId: blocks.blockedId })
      .from(blocks)
      .where(
        or(
          and(eq(blocks.blockerId, userId), inArray(blocks.blockedId, list)),
          and(eq(blocks.blockedId, userId), inArray(blocks.blockerId, list)),
        ),
      );
    return [
      ...new Set(rows.map((row) => (row.blockerId === userId ? row.blockedId : row.blockerId))),
    ];
  }

  /**
   * Blocks `blockedId` and, in the same transaction, ends what the two had: the friendship (both
   * rows) and any pending request either way (marked cancelled). Idempotent: an existing block is
   * returned as it was, with `created: false`.
   */
  async block(
    blockerId: string,
    blockedId: string,
  ): Promise<{ created: boolean; createdAt: Date }> {
    return this.db.transaction(async (tx) => {
      await lockPair(tx, blockerId, blockedId);
      const [inserted] = await tx
        .insert(blocks)
        .values({ blockerId, blockedId })
        .onConflictDoNothing()
        .returning({ createdAt: blocks.createdAt });
      const pair = (x: AnyPgColumn, y: AnyPgColumn) =>
        or(and(eq(x, blockerId), eq(y, blockedId)), and(eq(x, blockedId), eq(y, blockerId)));
      await tx
        .update(friendRequests)
        .set({ status: 'cancelled', respondedAt: sql`now()` })
        .where(
          and(
            eq(friendRequests.status, 'pending'),
            pair(friendRequests.fromUserId, friendRequests.toUserId),
          ),
        );
      await tx.delete(friendships).where(pair(friendships.userId, friendships.friendId));
      if (inserted) return { created: true, createdAt: inserted.createdAt };
      const [existing] = await tx
        .select({ createdAt: blocks.createdAt })
        .from(blocks)
        .where(and(eq(blocks.blockerId, blockerId), eq(blocks.blockedId, blockedId)));
      return { created: false, createdAt: existing.createdAt };
    });
  }

  async hasBlocked(blockerId: string, blockedId: string): Promise<boolean> {
    const [row] = await this.db
      .select({ one: sql<number>`1` })
      .from(blocks)
      .where(and(eq(blocks.blockerId, blockerId), eq(blocks.blockedId, blockedId)))
      .limit(1);
    return row !== undefined;
  }

  async unblock(blockerId: string, blockedId: string): Promise<boolean> {
    const removed = await this.db
      .delete(blocks)
      .where(and(eq(blocks.blockerId, blockerId), eq(blocks.blockedId, blockedId)))
      .returning({ blockedId: blocks.blockedId });
    return removed.length > 0;
  }

  /** The users `blockerId` has blocked, newest block first, keyset after (createdAt, blockedId). */
  async list(
    blockerId: string,
    limit: number,
    after?: { createdAt: Date; userId: string },
  ): Promise<BlockedProfileRow[]> {
    return this.db
      .select({ profile: profileColumns, createdAt: blocks.createdAt })
      .from(blocks)
      .innerJoin(users, eq(users.id, blocks.blockedId))
      .where(
        and(
          eq(blocks.blockerId, blockerId),
          after &&
            sql`(${blocks.createdAt}, ${blocks.blockedId}) < (${after.createdAt.toISOString()}::timestamptz, ${after.userId}::uuid)`,
        ),
      )
      .orderBy(desc(blocks.createdAt), desc(blocks.blockedId))
      .limit(limit);
  }
}
