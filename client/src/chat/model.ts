import type { ConversationDto, MessageDto, PresenceStatus } from '../api/types';

/** Conversations by latest activity, as GET /conversations orders them. */
export function sortConversations(list: ConversationDto[]): ConversationDto[] {
  return [...list].sort(
    (a, b) => b.updatedAt.localeCompare(a.updatedAt) || b.id.localeCompare(a.id),
  );
}

/** Adds or replaces messages by id and keeps them in seq order (the only order clients show). */
export function mergeMessages(current: MessageDto[] = [], incoming: MessageDto[]): MessageDto[] {
  const byId = new Map(current.map((m) => [m.id, m]));
  for (const m of incoming) byId.set(m.id, m);
  return [...byId.values()].sort((a, b) => a.seq - b.seq);
}

/** A conversation after one of its messages arrived: last message, seq and unread count move. */
export function withMessage(c: ConversationDto, m: MessageDto, meId: string): ConversationDto {
  const lastSeq = Math.max(c.lastSeq, m.seq);
  const lastReadSeq = m.senderId === meId ? Math.max(c.lastReadSeq, m.seq) : c.lastReadSeq;
  return {
    ...c,
    lastMessage: !c.lastMessage || m.seq >= c.lastMessage.seq ? m : c.lastMessage,
    lastSeq,
    lastReadSeq,
    unreadCount: lastSeq - lastReadSeq,
    updatedAt: m.createdAt > c.updatedAt ? m.createdAt : c.updatedAt,
  };
}

export function peerOf(c: ConversationDto, meId: string) {
  return c.type === 'direct' ? c.members.find((member) => member.userId !== meId) : undefined;
}

export function titleOf(c: ConversationDto, meId: string): string {
  if (c.type === 'group') return c.name ?? 'Group';
  return peerOf(c, meId)?.username ?? 'Direct chat';
}

export function usernameIn(c: ConversationDto, userId: string): string {
  return c.members.find((member) => member.userId === userId)?.username ?? 'someone';
}

export function preview(m: MessageDto | null): string {
  if (!m) return 'No messages yet';
  if (m.deletedAt) return 'Message deleted';
  if (m.body) return m.body;
  return m.attachments.length > 0 ? 'Photo' : '';
}

export type PresenceMap = Record<string, PresenceStatus>;
