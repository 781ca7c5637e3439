import { Inject, Injectable } from '@nestjs/common';
import { and, desc, eq, lt, or, sql } from 'drizzle-orm';
import { DATABASE, type Database } from '../../infra/database/database.types';
import { blockedEither } from './blocks.repository';
import {
  friendRequests,
  friendships,
  type FriendRequestRow,
  type FriendRequestStatus,
} from './friends.schema';
import { lockPair, type Executor } from './pair-lock';
import { UniqueViolation, uniqueConstraintOf } from './users.repository';
import { profileColumns, users, type ProfileRow } from './users.schema';

export interface RequestWithProfile {
  request: FriendRequestRow;
  /** The other party, as seen from the user whose list this is. */
  profile: ProfileRow;
}

export interface FriendProfileRow {
  profile: ProfileRow;
  createdAt: Date;
}

/**
 * Friend requests and friendships. Methods run on the database, or on the transaction of
 * `inPairTransaction`, whose callback receives a repository bound to it.
 */
@Injectable()
export class FriendsRepository {
  constructor(@Inject(DATABASE) private readonly db: Executor & Pick<Database, 'transaction'>) {}

  /** Runs `work` in one transaction that holds the pair's lock (see lockPair). */
  inPairTransaction<T>(a: string, b: string, work: (repo: FriendsRepository) => Promise<T>) {
    return this.db.transaction(async (tx) => {
      await lockPair(tx, a, b);
      return work(new FriendsRepository(tx));
    });
  }

  isBlockedEither(a: string, b: string): Promise<boolean> {
    return blockedEither(this.db, a, b);
  }

  async areFriends(a: string, b: string): Promise<boolean> {
    const [row] = await this.db
      .select({ one: sql<number>`1` })
      .from(friendships)
      .where(and(eq(friendships.userId, a), eq(friendships.friendId, b)))
      .limit(1);
    return row !== undefined;
  }

  /** Ids of all of `userId`'s friends (friendships are stored both ways: one index scan). */
  async friendIdsOf(userId: string): Promise<string[]> {
    const rows = await this.db
      .select({ friendId: friendships.friendId })
      .from(friendships)
      .where(eq(friendships.userId, userId));
    return rows.map((row) => row.friendId);
  }

  async findRequest(id: string): Promise<FriendRequestRow | undefined> {
    const [row] = await this.db.select().from(friendRequests).where(eq(friendRequests.id, id));
    return row;
  }

  /** The pending request between the two, whoever sent it (at most one exists). */
  async findPendingBetween(a: string, b: string): Promise<FriendRequestRow | undefined> {
    const [row] = await this.db
      .select()
      .from(friendRequests)
      .where(
        and(
          eq(friendRequests.status, 'pending'),
          or(
            and(eq(friendRequests.fromUserId, a), eq(friendRequests.toUserId, b)),
            and(eq(friendRequests.fromUserId, b), eq(friendRequests.toUserId, a)),
          ),
        ),
      )
      .limit(1);
    return row;
  }

  /** A new pending request; a pending one already there either way surfaces as UniqueViolation. */
  async insertRequest(id: string, fromUserId: string, toUserId: string) {
    try {
      const [row] = await this.db
        .insert(friendRequests)
        .values({ id, fromUserId, toUserId })
        .returning();
      return row;
    } catch (error) {
      const constraint = uniqueConstraintOf(error);
      if (constraint) throw new UniqueViolation(constraint);
      throw error;
    }
  }

  /** Moves a still-pending request to `status`; undefined when it was no longer pending. */
  async resolveRequest(
    id: string,
    status: Exclude<FriendRequestStatus, 'pending'>,
  ): Promise<FriendRequestRow | undefined> {
    const [row] = await this.db
      .update(friendRequests)
      .set({ status, respondedAt: sql`now()` })
      .where(and(eq(friendRequests.id, id), eq(friendRequests.status, 'pending')))
      .returning();
    return row;
  }

  /** Both directions in one statement; an existing friendship is kept as it was. */
  async insertFriendship(a: string, b: string): Promise<Date> {
    await this.db
      .insert(friendships)
      .values([
        { userId: a, friendId: b },
        { userId: b, friendId: a },
      ])
      .onConflictDoNothing();
    const [row] = await this.db
      .select({ createdAt: friendships.createdAt })
      .from(friendships)
      .where(and(eq(friendships.userId, a), eq(friendships.friendId, b)));
    return row.createdAt;
  }

  async deleteFriendship(a: string, b: string): Promise<boolean> {
    const removed = await this.db
      .delete(friendships)
      .where(
        or(
          and(eq(friendships.userId, a), eq(friendships.friendId, b)),
          and(eq(friendships.userId, b), eq(friendships.friendId, a)),
        ),
      )
      .returning({ userId: friendships.userId });
    return removed.length > 0;
  }

  /** Pending requests to (incoming) or from (outgoing) `userId`, newest first, keyset on id. */
  async listPending(
    userId: string,
    direction: 'incoming' | 'outgoing',
    limit: number,
    afterId?: string,
  ): Promise<RequestWithProfile[]> {
    const [mine, theirs] =
      direction === 'incoming'
        ? [friendRequests.toUserId, friendRequests.fromUserId]
        : [friendRequests.fromUserId, friendRequests.toUserId];
    return this.db
      .select({ request: friendRequests, profile: profileColumns })
      .from(friendRequests)
      .innerJoin(users, eq(users.id, theirs))
      .where(
        and(
          eq(mine, userId),
          eq(friendRequests.status, 'pending'),
          afterId === undefined ? undefined : lt(friendRequests.id, afterId),
        ),
      )
      .orderBy(desc(friendRequests.id))
      .limit(limit);
  }

  /** `userId`'s friends, newest friendship first, keyset after (createdAt, friendId). */
  async listFriends(
    userId: string,
    limit: number,
    after?: { createdAt: Date; userId: string },
  ): Promise<FriendProfileRow[]> {
    return this.db
      .select({ profile: profileColumns, createdAt: friendships.createdAt })
      .from(friendships)
      .innerJoin(users, eq(users.id, friendships.friendId))
      .where(
        and(
          eq(friendships.userId, userId),
          after &&
            sql`(${friendships.createdAt}, ${friendships.friendId}) < (${after.createdAt.toISOString()}::timestamptz, ${after.userId}::uuid)`,
        ),
      )
      .orderBy(desc(friendships.createdAt), desc(friendships.friendId))
      .limit(limit);
  }
}
