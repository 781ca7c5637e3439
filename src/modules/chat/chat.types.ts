/** Wire shapes of the chat module (API.md "Conversations and messages"). Mappers produce exactly these. */

export type ConversationType = 'direct' | 'group';
export type MemberRole = 'owner' | 'admin' | 'member';

export interface AttachmentDto {
  mediaId: string;
  contentType: string;
  size: number;
  width: number | null;
  height: number | null;
}

export interface ReactionDto {
  emoji: string;
  count: number;
  userIds: string[];
}

export interface MessageDto {
  id: string;
  conversationId: string;
  /** Gapless, strictly increasing per conversation; serialised as a number (safe below 2^53). */
  seq: number;
  senderId: string;
  clientMessageId: string;
  /** Null once deleted (tombstone). */
  body: string | null;
  replyToId: string | null;
  attachments: AttachmentDto[];
  reactions: ReactionDto[];
  editedAt: string | null;
  deletedAt: string | null;
  createdAt: string;
}

export interface MemberDto {
  userId: string;
  username: string;
  avatarUrl: string | null;
  role: MemberRole;
  joinedAt: string;
}

export interface ConversationDto {
  id: string;
  type: ConversationType;
  name: string | null;
  avatarUrl: string | null;
  members: MemberDto[];
  lastMessage: MessageDto | null;
  lastSeq: number;
  lastReadSeq: number;
  unreadCount: number;
  updatedAt: string;
  createdAt: string;
}
