/** Wire shapes of conversations and messages (API.md "Conversations and messages"). Types only. */

export type ConversationType = 'direct' | 'group';
export type MemberRole = 'owner' | 'admin' | 'member';

/** A ready media item sent with a message (API.md "Media"); URLs are short-lived and signed. */
export interface AttachmentDto {
  /** The media id (GET /media/:id gives fresh URLs). */
  id: string;
  filename: string;
  contentType: string;
  size: number;
  width: number | null;
  height: number | null;
  url: string;
  /** Images only, once the thumbnail job made it. */
  thumbnailUrl: string | null;
  urlExpiresAt: string;
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
