import type {
  AttachmentDto,
  ConversationDto,
  MemberDto,
  MessageDto,
  ReactionDto,
} from './chat.types';
import type { ConversationType, MemberRole } from './chat.types';
import type { MessageView, ReactionAggregate } from './message-view.query';

/** What chat needs of a user's public profile (from UsersService; chat never reads users rows). */
export interface MemberProfile {
  id: string;
  username: string;
  avatarUrl: string | null;
}

export interface MemberView {
  conversationId: string;
  userId: string;
  role: MemberRole;
  joinedAt: Date;
}

/** A conversation as one member sees it: their role and read pointer, plus the newest message. */
export interface ConversationView {
  id: string;
  type: ConversationType;
  name: string | null;
  avatarMediaId: string | null;
  lastSeq: number;
  lastReadSeq: number;
  lastMessageAt: Date;
  updatedAt: Date;
  createdAt: Date;
  lastMessage: MessageView | null;
}

/**
 * Resolves attachment media ids to their metadata and URLs (looked up beforehand, one query per
 * page: see ChatMedia). An id it does not know is left out.
 */
export type AttachmentResolver = (mediaId: string) => AttachmentDto | undefined;
const noAttachments: AttachmentResolver = () => undefined;

/** What a conversation shows besides its rows: looked up by ChatMedia. */
export interface ConversationExtras {
  avatarUrl: string | null;
  resolveAttachment: AttachmentResolver;
}

export function toReactions(aggregates: readonly ReactionAggregate[] | null): ReactionDto[] {
  return (aggregates ?? []).map((reaction) => ({
    emoji: reaction.emoji,
    count: Number(reaction.count),
    userIds: [...reaction.userIds],
  }));
}

export function toMessage(
  view: MessageView,
  resolveAttachment: AttachmentResolver = noAttachments,
): MessageDto {
  return {
    id: view.id,
    conversationId: view.conversationId,
    seq: Number(view.seq),
    senderId: view.senderId,
    clientMessageId: view.clientMessageId,
    body: view.body,
    replyToId: view.replyToId,
    attachments: (view.attachmentIds ?? [])
      .map(resolveAttachment)
      .filter((attachment): attachment is AttachmentDto => attachment !== undefined),
    reactions: toReactions(view.reactions),
    editedAt: iso(view.editedAt),
    deletedAt: iso(view.deletedAt),
    createdAt: view.createdAt.toISOString(),
  };
}

export function toMember(member: MemberView, profile: MemberProfile | undefined): MemberDto {
  return {
    userId: member.userId,
    username: profile?.username ?? '',
    avatarUrl: profile?.avatarUrl ?? null,
    role: member.role,
    joinedAt: member.joinedAt.toISOString(),
  };
}

export function toConversation(
  view: ConversationView,
  members: readonly MemberDto[],
  extras: ConversationExtras = { avatarUrl: null, resolveAttachment: noAttachments },
): ConversationDto {
  const lastSeq = Number(view.lastSeq);
  const lastReadSeq = Math.min(Number(view.lastReadSeq), lastSeq);
  const updatedAt = view.updatedAt > view.lastMessageAt ? view.updatedAt : view.lastMessageAt;
  return {
    id: view.id,
    type: view.type,
    name: view.name,
    avatarUrl: extras.avatarUrl,
    members: [...members],
    lastMessage: view.lastMessage ? toMessage(view.lastMessage, extras.resolveAttachment) : null,
    lastSeq,
    lastReadSeq,
    unreadCount: lastSeq - lastReadSeq,
    updatedAt: updatedAt.toISOString(),
    createdAt: view.createdAt.toISOString(),
  };
}

function iso(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}
