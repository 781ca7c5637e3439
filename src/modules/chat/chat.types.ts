/** Wire shapes of the chat module (API.md "Conversations and messages"). Mappers produce exactly these. */
export type {
  AttachmentDto,
  ConversationDto,
  ConversationType,
  MemberDto,
  MemberRole,
  MessageDto,
  ReactionDto,
} from '../../contract/chat';
