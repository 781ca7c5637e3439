// Wire types come from the SDK, which re-exports the server's types-only contract (src/contract):
// a contract change breaks this build instead of the UI.
export type {
  AttachmentDto,
  ConversationDto,
  MediaDto,
  MemberDto,
  MessageDto,
  PresenceStatus,
  PublicUserDto,
  SelfUserDto,
  SessionView,
} from '../../../sdk/src';
