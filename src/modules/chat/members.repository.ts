import { Inject, Injectable } from '@nestjs/common';
import { and, asc, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import { DATABASE, type Database } from '../../infra/database/database.types';
import { conversationMembers, conversations } from './chat.schema';
import type { ConversationType, MemberRole } from './chat.types';

type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

export interface LockedConversation {
  id: string;
  type: ConversationType;
  lastSeq: number;
  archivedAt: Date | null;
}

export interface ActiveMember {
  userId: string;
  role: MemberRole;
  joinedAt: Date;
}

/**
 * Membership changes of one conversation, made while its row is locked (SELECT … FOR UPDATE):
 * concurrent joins, leaves and role changes of a conversation run one after another, so rules
 * such as "a group always keeps an owner" hold under any interleaving. Sends take the same row
 * lock (the seq UPDATE), so a message is never sent by someone removed before it committed.
 */
export class MembershipChange {
  constructor(
    private readonly tx: Transaction,
    readonly conversation: LockedConversation,
  ) {}

  /** Active members, oldest first (joined_at, then id): the order ownership is handed over in. */
  async activeMembers(): Promise<ActiveMember[]> {
    return this.tx
      .select({
        userId: conversationMembers.userId,
        role: conversationMembers.role,
        joinedAt: conversationMembers.joinedAt,
      })
      .from(conversationMembers)
      .where(
        and(
          eq(conversationMembers.conversationId, this.conversation.id),
          isNull(conversationMembers.leftAt),
        ),
      )
      .orderBy(asc(conversationMembers.joinedAt), asc(conversationMembers.userId));
  }

  /**
   * Adds users as members, or brings back ones who had left (as plain members again). Everything
   * sent before they (re)joined counts as read, so unreadCount starts at zero.
   */
  async addMembers(userIds: readonly string[]): Promise<void> {
    if (userIds.length === 0) return;
    await this.tx
      .insert(conversationMembers)
      .values(
        userIds.map((userId) => ({
          conversationId: this.conversation.id,
          userId,
          role: 'member' as const,
          lastReadSeq: this.conversation.lastSeq,
        })),
      )
      .onConflictDoUpdate({
        target: [conversationMembers.conversationId, conversationMembers.userId],
        set: {
          role: 'member',
          leftAt: null,
          joinedAt: sql`now()`,
          lastReadSeq: sql`greatest(${conversationMembers.lastReadSeq}, excluded.last_read_seq)`,
        },
        setWhere: sql`${conversationMembers.leftAt} is not null`,
      });
  }

  async setRole(userId: string, role: MemberRole): Promise<void> {
    await this.tx.update(conversationMembers).set({ role }).where(this.activeMember(userId));
  }

  async markLeft(userId: string): Promise<void> {
    await this.tx
      .update(conversationMembers)
      .set({ leftAt: sql`now()` })
      .where(this.activeMember(userId));
  }

  async archive(): Promise<void> {
    await this.tx
      .update(conversations)
      .set({ archivedAt: sql`now()`, updatedAt: sql`now()` })
      .where(eq(conversations.id, this.conversation.id));
  }

  async touch(): Promise<void> {
    await this.tx
      .update(conversations)
      .set({ updatedAt: sql`now()` })
      .where(eq(conversations.id, this.conversation.id));
  }

  private activeMember(userId: string) {
    return and(
      eq(conversationMembers.conversationId, this.conversation.id),
      eq(conversationMembers.userId, userId),
      isNull(conversationMembers.leftAt),
    );
  }
}

@Injectable()
export class MembersRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** Runs `work` in a transaction holding the conversation's row lock; undefined if it doesn't exist. */
  async change<T>(
    conversationId: string,
    work: (change: MembershipChange) => Promise<T>,
  ): Promise<{ result: T } | undefined> {
    return this.db.transaction(async (tx) => {
      const [conversation] = await tx
        .select({
          id: conversations.id,
          type: conversations.type,
          lastSeq: conversations.lastSeq,
          archivedAt: conversations.archivedAt,
        })
        .from(conversations)
        .where(eq(conversations.id, conversationId))
        .for('update');
      if (!conversation) return undefined;
      return { result: await work(new MembershipChange(tx, conversation)) };
    });
  }

  /**
   * Moves the member's read pointer up to `seq`, never down; returns the new value, or undefined
   * when it did not move (already at or past `seq`, or not an active member).
   */
  async advanceReadPointer(
    userId: string,
    conversationId: string,
    seq: number,
  ): Promise<number | undefined> {
    const [row] = await this.db
      .update(conversationMembers)
      .set({ lastReadSeq: seq })
      .where(
        and(
          eq(conversationMembers.conversationId, conversationId),
          eq(conversationMembers.userId, userId),
          isNull(conversationMembers.leftAt),
          lt(conversationMembers.lastReadSeq, seq),
        ),
      )
      .returning({ lastReadSeq: conversationMembers.lastReadSeq });
    return row?.lastReadSeq;
  }

  /** Which of `userIds` are active members of the conversation. */
  async activeAmong(conversationId: string, userIds: readonly string[]): Promise<string[]> {
    if (userIds.length === 0) return [];
    const rows = await this.db
      .select({ userId: conversationMembers.userId })
      .from(conversationMembers)
      .where(
        and(
          eq(conversationMembers.conversationId, conversationId),
          inArray(conversationMembers.userId, [...userIds]),
          isNull(conversationMembers.leftAt),
        ),
      );
    return rows.map((row) => row.userId);
  }
}
