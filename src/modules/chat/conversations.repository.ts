import { Inject, Injectable } from '@nestjs/common';
import { and, desc, eq, inArray, isNull, ne, sql, type Placeholder, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { DATABASE, type Database } from '../../infra/database/database.types';
import type { ConversationView, MemberView } from './chat.mapper';
import { conversationMembers, conversations, messages } from './chat.schema';
import type { ConversationType, MemberRole } from './chat.types';
import type { ActivityCursor } from './list-cursor';
import { messageView } from './message-view.query';

/** A user's active membership of a conversation, with what the services decide on. */
export interface Membership {
  conversationId: string;
  type: ConversationType;
  directKey: string | null;
  lastSeq: number;
  role: MemberRole;
  lastReadSeq: number;
}

/** The only class that reads or writes conversations (membership changes: MembersRepository). */
@Injectable()
export class ConversationsRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /**
   * Creates the pair's direct conversation unless it exists. `ON CONFLICT DO NOTHING` on the
   * unique direct_key makes a concurrent second INSERT wait for the first and then do nothing;
   * its SELECT then sees the committed winner (members are inserted in the winner's transaction).
   */
  async getOrCreateDirect(
    id: string,
    directKey: string,
    userIds: readonly [string, string],
  ): Promise<{ id: string; created: boolean }> {
    return this.db.transaction(async (tx) => {
      const inserted = await tx
        .insert(conversations)
        .values({ id, type: 'direct', directKey })
        .onConflictDoNothing({ target: conversations.directKey })
        .returning({ id: conversations.id });
      if (inserted.length > 0) {
        await tx
          .insert(conversationMembers)
          .values(
            userIds.map((userId) => ({ conversationId: id, userId, role: 'member' as const })),
          );
        return { id, created: true };
      }
      const [existing] = await tx
        .select({ id: conversations.id })
        .from(conversations)
        .where(eq(conversations.directKey, directKey));
      return { id: existing.id, created: false };
    });
  }

  async createGroup(input: {
    id: string;
    name: string;
    ownerId: string;
    memberIds: readonly string[];
  }): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.insert(conversations).values({ id: input.id, type: 'group', name: input.name });
      await tx.insert(conversationMembers).values([
        { conversationId: input.id, userId: input.ownerId, role: 'owner' as const },
        ...input.memberIds.map((userId) => ({
          conversationId: input.id,
          userId,
          role: 'member' as const,
        })),
      ]);
    });
  }

  /**
   * Built once: every socket event and most chat routes ask for the membership, and drizzle's
   * query building was a third of a busy server's CPU; a named statement is parsed once per
   * connection.
   */
  private membershipQuery?: ReturnType<ConversationsRepository['prepareMembership']>;

  async findMembership(userId: string, conversationId: string): Promise<Membership | undefined> {
    this.membershipQuery ??= this.prepareMembership();
    const [row] = await this.membershipQuery.execute({ userId, conversationId });
    return row;
  }

  private prepareMembership() {
    return this.db
      .select({
        conversationId: conversations.id,
        type: conversations.type,
        directKey: conversations.directKey,
        lastSeq: conversations.lastSeq,
        role: conversationMembers.role,
        lastReadSeq: conversationMembers.lastReadSeq,
      })
      .from(conversationMembers)
      .innerJoin(conversations, eq(conversations.id, conversationMembers.conversationId))
      .where(
        and(
          eq(conversationMembers.conversationId, sql.placeholder('conversationId')),
          eq(conversationMembers.userId, sql.placeholder('userId')),
          isNull(conversationMembers.leftAt),
        ),
      )
      .limit(1)
      .prepare('conversations_find_membership');
  }

  async findDirectByKey(directKey: string): Promise<string | undefined> {
    const [row] = await this.db
      .select({ id: conversations.id })
      .from(conversations)
      .where(eq(conversations.directKey, directKey))
      .limit(1);
    return row?.id;
  }

  /**
   * One page of the user's conversations by latest activity, each with its newest message and
   * its active members, in a single prepared statement: the newest message is the one whose seq
   * is the conversation's last_seq (a unique-index lookup), reactions and members aggregated by
   * correlated subqueries. Two statements, first page and after a cursor, each built once.
   */
  async listViews(
    userId: string,
    page: { after?: ActivityCursor; limit: number },
  ): Promise<ConversationViewWithMembers[]> {
    if (!page.after) {
      this.firstPageQuery ??= this.prepareListPage(undefined, 'conversations_list_first');
      return toViews(await this.firstPageQuery.execute({ userId, limit: page.limit }));
    }
    this.nextPageQuery ??= this.prepareListPage(
      sql`(${conversations.lastMessageAt}, ${conversations.id}) < (${sql.placeholder('afterAt')}::timestamptz, ${sql.placeholder('afterId')}::uuid)`,
      'conversations_list_after',
    );
    return toViews(
      await this.nextPageQuery.execute({
        userId,
        limit: page.limit,
        afterAt: page.after.at.toISOString(),
        afterId: page.after.id,
      }),
    );
  }

  private firstPageQuery?: ReturnType<ConversationsRepository['prepareListPage']>;
  private nextPageQuery?: ReturnType<ConversationsRepository['prepareListPage']>;

  private prepareListPage(after: SQL | undefined, name: string) {
    return this.viewsQuery(sql.placeholder('userId'), after)
      .limit(sql.placeholder('limit'))
      .prepare(name);
  }

  async findView(
    userId: string,
    conversationId: string,
  ): Promise<ConversationViewWithMembers | undefined> {
    const rows = await this.viewsQuery(userId, eq(conversations.id, conversationId)).limit(1);
    return toViews(rows)[0];
  }

  private viewsQuery(userId: string | Placeholder, filter: SQL | undefined) {
    return this.db
      .select({
        id: conversations.id,
        type: conversations.type,
        name: conversations.name,
        avatarMediaId: conversations.avatarMediaId,
        lastSeq: conversations.lastSeq,
        lastMessageAt: conversations.lastMessageAt,
        updatedAt: conversations.updatedAt,
        createdAt: conversations.createdAt,
        lastReadSeq: conversationMembers.lastReadSeq,
        message: messageView,
        members: activeMembersJson,
      })
      .from(conversationMembers)
      .innerJoin(conversations, eq(conversations.id, conversationMembers.conversationId))
      .leftJoin(
        messages,
        and(eq(messages.conversationId, conversations.id), eq(messages.seq, conversations.lastSeq)),
      )
      .where(
        and(eq(conversationMembers.userId, userId), isNull(conversationMembers.leftAt), filter),
      )
      .orderBy(desc(conversations.lastMessageAt), desc(conversations.id));
  }

  async memberIds(conversationId: string): Promise<string[]> {
    const rows = await this.db
      .select({ userId: conversationMembers.userId })
      .from(conversationMembers)
      .where(
        and(
          eq(conversationMembers.conversationId, conversationId),
          isNull(conversationMembers.leftAt),
        ),
      );
    return rows.map((row) => row.userId);
  }

  /** Everyone who shares at least one conversation with the user (active memberships on both sides). */
  async peerIdsOf(userId: string): Promise<string[]> {
    const mine = this.db
      .select({ conversationId: conversationMembers.conversationId })
      .from(conversationMembers)
      .where(and(eq(conversationMembers.userId, userId), isNull(conversationMembers.leftAt)));
    const rows = await this.db
      .selectDistinct({ userId: conversationMembers.userId })
      .from(conversationMembers)
      .where(
        and(
          inArray(conversationMembers.conversationId, mine),
          isNull(conversationMembers.leftAt),
          ne(conversationMembers.userId, userId),
        ),
      );
    return rows.map((row) => row.userId);
  }

  /** Sets the name and/or the avatar (null removes it) of a group; absent fields stay. */
  async updateGroup(
    conversationId: string,
    changes: { name?: string; avatarMediaId?: string | null },
  ): Promise<void> {
    await this.db
      .update(conversations)
      .set({ ...changes, updatedAt: sql`now()` })
      .where(eq(conversations.id, conversationId));
  }
}

/** A conversation view with its active members, oldest first. */
export interface ConversationViewWithMembers extends ConversationView {
  members: MemberView[];
}

const OTHER_MEMBERS = 'other_members';
const otherMembers = alias(conversationMembers, OTHER_MEMBERS);

/** The conversation's active members as JSON: one subquery instead of a second statement. */
const activeMembersJson = sql<MemberJson[]>`(
  select coalesce(
    json_agg(
      json_build_object('userId', ${otherMembers.userId}, 'role', ${otherMembers.role}, 'joinedAt', ${otherMembers.joinedAt})
      order by ${otherMembers.joinedAt}, ${otherMembers.userId}
    ),
    '[]'::json
  )
  from ${conversationMembers} as ${sql.identifier(OTHER_MEMBERS)}
  where ${otherMembers.conversationId} = ${conversations.id} and ${otherMembers.leftAt} is null
)`;

interface MemberJson {
  userId: string;
  role: MemberRole;
  joinedAt: string;
}

/** Fields copied by name: object rest and spread over 50 rows showed up in the profile. */
function toViews(
  rows: readonly (Omit<ConversationView, 'lastMessage'> & {
    message: ConversationView['lastMessage'] | { id: null };
    members: MemberJson[] | string;
  })[],
): ConversationViewWithMembers[] {
  return rows.map((row) => {
    // pg parses json columns; PGlite and some drivers hand back the text.
    const members = (
      typeof row.members === 'string' ? JSON.parse(row.members) : row.members
    ) as MemberJson[];
    return {
      id: row.id,
      type: row.type,
      name: row.name,
      avatarMediaId: row.avatarMediaId,
      lastSeq: row.lastSeq,
      lastReadSeq: row.lastReadSeq,
      lastMessageAt: row.lastMessageAt,
      updatedAt: row.updatedAt,
      createdAt: row.createdAt,
      lastMessage: row.message && row.message.id ? row.message : null,
      members: members.map((member) => ({
        conversationId: row.id,
        userId: member.userId,
        role: member.role,
        joinedAt: new Date(member.joinedAt),
      })),
    };
  });
}
