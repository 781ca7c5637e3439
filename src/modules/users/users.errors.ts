import { AppException } from '../../common/errors/app.exception';

export const userNotFound = (): AppException =>
  new AppException('USER_NOT_FOUND', 'User not found');

export const usernameTaken = (): AppException =>
  new AppException('USERNAME_TAKEN', 'That username is taken');

export const friendRequestNotFound = (): AppException =>
  new AppException('FRIEND_REQUEST_NOT_FOUND', 'No such pending friend request');

/** Acting on yourself (befriending, blocking) is a validation failure of the `field` given. */
export function notYourself(field: string, what: string): AppException {
  return new AppException('VALIDATION_FAILED', 'Validation failed', [
    { field, message: `you cannot ${what} yourself` },
  ]);
}
