import { AppException } from '../../common/errors/app.exception';

/** The same answer for "no such conversation" and "not a member": existence is never revealed. */
export const conversationNotFound = (): AppException =>
  new AppException('CONVERSATION_NOT_FOUND', 'Conversation not found');

export const messageNotFound = (): AppException =>
  new AppException('MESSAGE_NOT_FOUND', 'Message not found');

export const memberNotFound = (): AppException =>
  new AppException('MEMBER_NOT_FOUND', 'That user is not a member of this conversation');

/** Unknown users and users with a block either way get the same answer. */
export const userNotFound = (): AppException =>
  new AppException('USER_NOT_FOUND', 'User not found');

export const notAGroup = (): AppException =>
  new AppException('CONVERSATION_NOT_GROUP', 'Only group conversations have this');

export const insufficientRole = (what: string): AppException =>
  new AppException('INSUFFICIENT_ROLE', `Only ${what} may do this`);

export const mediaNotReady = (field: string, message: string): AppException =>
  new AppException('MEDIA_NOT_READY', message, [{ field, message }]);

export const mediaAlreadyAttached = (): AppException =>
  new AppException(
    'MEDIA_ALREADY_ATTACHED',
    'A media item can be attached to one message only; upload it again to send it again',
    [{ field: 'attachmentIds', message: 'one of these is already attached to a message' }],
  );
