import { Injectable } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { Page } from '../../common/http/page';
import { ChatEventsPublisher } from './chat-events.publisher';
import { ChatMedia } from './chat-media';
import { conversationNotFound, insufficientRole, notAGroup, userNotFound } from './chat.errors';
import { ChatEvent } from './chat.events';
import { toConversation, toMember } from './chat.mapper';
import {
  CONVERSATIONS_PAGE_DEFAULT,
  CONVERSATIONS_PAGE_MAX,
  directKeyOf,
  invalid,
  isUuid,
  MAX_MEMBER_IDS,
  normaliseGroupName,
} from './chat.rules';
import type { ConversationDto } from './chat.types';
import {
  ConversationsRepository,
  type ConversationViewWithMembers,
  type Membership,
} from './conversations.repository';
import { decodeActivityCursor, encodeActivityCursor } from './list-cursor';
import { MemberDirectory } from './member-directory';

export interface GroupInput {
  name?: unknown;
  memberIds?: unknown;
}

export interface ConversationUpdate {
  name?: unknown;
  avatarMediaId?: string | null;
}

/** Creating, reading and renaming conversations; the membership queries other parts need. */
@Injectable()
export class ConversationsService {
  constructor(
    private readonly conversations: ConversationsRepository,
    private readonly directory: MemberDirectory,
    private readonly events: ChatEventsPublisher,
    private readonly media: ChatMedia,
  ) {}

  /**
   * The one direct conversation of the pair, created on first use. Refused with USER_NOT_FOUND
   * for unknown users and, alike, when either has blocked the other.
   */
  async openDirect(
    userId: string,
    peerId: unknown,
  ): Promise<{ conversation: ConversationDto; created: boolean }> {
    if (!isUuid(peerId)) throw invalid('userId', 'userId must be a UUID');
    const peer = peerId.toLowerCase();
    if (peer === userId) throw invalid('userId', 'you cannot start a conversation with yourself');
    const exists = (await this.directory.profiles([peer])).has(peer);
    if (!exists || (await this.directory.isBlockedEither(userId, peer))) throw userNotFound();
    const { id, created } = await this.conversations.getOrCreateDirect(
      uuidv7(),
      directKeyOf(userId, peer),
      [userId, peer],
    );
    const conversation = await this.get(userId, id);
    if (created) {
      this.events.publish(ChatEvent.ConversationUpdated, {
        conversationId: id,
        recipients: [userId, peer],
      });
    }
    return { conversation, created };
  }

  /** A new group with the caller as owner and `memberIds` (existing, unblocked users) as members. */
  async createGroup(userId: string, input: GroupInput): Promise<ConversationDto> {
    const name = normaliseGroupName(input.name);
    const memberIds = await this.assertAddable(userId, input.memberIds ?? [], 'memberIds');
    const id = uuidv7();
    await this.conversations.createGroup({ id, name, ownerId: userId, memberIds });
    const conversation = await this.get(userId, id);
    this.events.publish(ChatEvent.ConversationUpdated, {
      conversationId: id,
      recipients: [userId, ...memberIds],
    });
    return conversation;
  }

  /**
   * Validates a list of users to put in a group: UUIDs, no repeats, at most MAX_MEMBER_IDS,
   * all existing and none with a block either way with `userId`. Returns them without `userId`.
   */
  async assertAddable(userId: string, ids: unknown, field: string): Promise<string[]> {
    if (!Array.isArray(ids) || ids.length > MAX_MEMBER_IDS || !ids.every(isUuid)) {
      throw invalid(field, `${field} must be a list of at most ${MAX_MEMBER_IDS} user ids`);
    }
    const lowered = ids.map((id) => id.toLowerCase());
    if (new Set(lowered).size !== lowered.length) {
      throw invalid(field, `${field} must not repeat a user`);
    }
    const others = lowered.filter((id) => id !== userId);
    if (others.length === 0) return [];
    const [profiles, blocked] = await Promise.all([
      this.directory.profiles(others),
      this.directory.blockedAmong(userId, others),
    ]);
    if (profiles.size !== others.length || blocked.length > 0) throw userNotFound();
    return others;
  }

  async get(userId: string, conversationId: string): Promise<ConversationDto> {
    if (!isUuid(conversationId)) throw conversationNotFound();
    const view = await this.conversations.findView(userId, conversationId.toLowerCase());
    if (!view) throw conversationNotFound();
    const [conversation] = await this.assemble([view]);
    return conversation;
  }

  /**
   * The caller's conversations, latest activity first. Two statements whatever the page size: the
   * page (each conversation with its newest message and its members), then the members' profiles.
   */
  async list(
    userId: string,
    query: { cursor?: string; limit?: number },
  ): Promise<Page<ConversationDto>> {
    const limit = query.limit ?? CONVERSATIONS_PAGE_DEFAULT;
    if (!Number.isInteger(limit) || limit < 1 || limit > CONVERSATIONS_PAGE_MAX) {
      throw invalid('limit', `limit must be between 1 and ${CONVERSATIONS_PAGE_MAX}`);
    }
    const after = query.cursor === undefined ? undefined : decodeActivityCursor(query.cursor);
    const views = await this.conversations.listViews(userId, { after, limit: limit + 1 });
    const items = views.slice(0, limit);
    const last = items[items.length - 1];
    const nextCursor =
      views.length > limit && last
        ? encodeActivityCursor({ at: last.lastMessageAt, id: last.id })
        : null;
    return new Page(await this.assemble(items), nextCursor);
  }

  /**
   * Renames a group and/or sets its avatar (owner or admin). The avatar must be a ready avatar
   * upload of the caller's (else 422 MEDIA_NOT_READY); null removes it.
   */
  async update(
    userId: string,
    conversationId: string,
    update: ConversationUpdate,
  ): Promise<ConversationDto> {
    const membership = await this.membership(userId, conversationId);
    const id = membership.conversationId;
    if (membership.type !== 'group') throw notAGroup();
    if (membership.role === 'member') throw insufficientRole('the owner or an admin');
    const changes: { name?: string; avatarMediaId?: string | null } = {};
    if (update.name !== undefined) changes.name = normaliseGroupName(update.name);
    if (update.avatarMediaId === null) changes.avatarMediaId = null;
    else if (update.avatarMediaId !== undefined) {
      if (!isUuid(update.avatarMediaId))
        throw invalid('avatarMediaId', 'avatarMediaId must be a UUID');
      await this.media.assertGroupAvatar(userId, update.avatarMediaId);
      changes.avatarMediaId = update.avatarMediaId.toLowerCase();
    }
    if (Object.keys(changes).length === 0) return this.get(userId, id);
    await this.conversations.updateGroup(id, changes);
    const conversation = await this.get(userId, id);
    this.events.publish(ChatEvent.ConversationUpdated, {
      conversationId: id,
      recipients: await this.conversations.memberIds(id),
    });
    return conversation;
  }

  /** Throws CONVERSATION_NOT_FOUND unless the user is an active member (existence is not revealed). */
  async assertMember(userId: string, conversationId: string): Promise<void> {
    await this.membership(userId, conversationId);
  }

  /** The user's active membership; CONVERSATION_NOT_FOUND for unknown ids and for non-members. */
  async membership(userId: string, conversationId: string): Promise<Membership> {
    if (!isUuid(conversationId) || !isUuid(userId)) throw conversationNotFound();
    const membership = await this.conversations.findMembership(
      userId,
      conversationId.toLowerCase(),
    );
    if (!membership) throw conversationNotFound();
    return membership;
  }

  /** Active members: the recipients of the conversation's events. */
  memberIds(conversationId: string): Promise<string[]> {
    if (!isUuid(conversationId)) return Promise.resolve([]);
    return this.conversations.memberIds(conversationId.toLowerCase());
  }

  /** Everyone sharing at least one conversation with the user (presence fan-out). */
  peerIdsOf(userId: string): Promise<string[]> {
    if (!isUuid(userId)) return Promise.resolve([]);
    return this.conversations.peerIdsOf(userId);
  }

  private async assemble(
    views: readonly ConversationViewWithMembers[],
  ): Promise<ConversationDto[]> {
    const members = views.flatMap((view) => view.members);
    // No statement at all for these two when nothing on the page has an avatar or attachment.
    const [profiles, avatarUrls, resolveAttachment] = await Promise.all([
      this.directory.profiles(members.map((member) => member.userId)),
      this.media.avatarUrls(views.map((view) => view.avatarMediaId)),
      this.media.resolverFor(views.map((view) => view.lastMessage)),
    ]);
    return views.map((view) =>
      toConversation(
        view,
        view.members.map((member) => toMember(member, profiles.get(member.userId))),
        {
          avatarUrl: view.avatarMediaId ? (avatarUrls.get(view.avatarMediaId) ?? null) : null,
          resolveAttachment,
        },
      ),
    );
  }
}
