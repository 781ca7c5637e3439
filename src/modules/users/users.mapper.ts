import type { BlockRow } from './blocks.schema';
import type { FriendRequestRow } from './friends.schema';
import type { Presence } from './presence';
import type { ProfileRow, UserRow } from './users.schema';

import type {
  BlockDto,
  FriendDto,
  FriendRequestDto,
  PublicUserDto,
  SelfUserDto,
} from '../../contract/users';

export type { PresenceStatus } from './presence';

// The wire shapes live in src/contract (shared with the SDK); the server builds them here.
export type {
  BlockDto,
  FriendDto,
  FriendRequestDirection,
  FriendRequestDto,
  PublicUserDto,
  SelfUserDto,
  SendFriendRequestResultDto,
} from '../../contract/users';

const OFFLINE: Presence = { status: 'offline', lastSeenAt: null };

function iso(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}

export function toPublicUser(
  row: ProfileRow,
  presence: Presence = OFFLINE,
  avatarUrl: string | null = null,
): PublicUserDto {
  return {
    id: row.id,
    username: row.username,
    bio: row.bio,
    avatarUrl,
    status: presence.status,
    lastSeenAt: iso(presence.lastSeenAt ?? row.lastSeenAt),
    createdAt: row.createdAt.toISOString(),
  };
}

export function toSelfUser(
  row: ProfileRow & Pick<UserRow, 'email'>,
  presence: Presence = OFFLINE,
  avatarUrl: string | null = null,
): SelfUserDto {
  return { ...toPublicUser(row, presence, avatarUrl), email: row.email };
}

export function toFriendRequest(
  row: FriendRequestRow,
  viewerId: string,
  other: PublicUserDto,
): FriendRequestDto {
  return {
    id: row.id,
    status: row.status,
    direction: row.toUserId === viewerId ? 'incoming' : 'outgoing',
    fromUserId: row.fromUserId,
    toUserId: row.toUserId,
    user: other,
    createdAt: row.createdAt.toISOString(),
    respondedAt: iso(row.respondedAt),
  };
}

export function toFriend(user: PublicUserDto, since: Date): FriendDto {
  return { user, since: since.toISOString() };
}

export function toBlock(user: PublicUserDto, row: Pick<BlockRow, 'createdAt'>): BlockDto {
  return { user, blockedAt: row.createdAt.toISOString() };
}
