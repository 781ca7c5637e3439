import type { BlockRow } from './blocks.schema';
import type { FriendRequestRow, FriendRequestStatus } from './friends.schema';
import type { Presence, PresenceStatus } from './presence';
import type { ProfileRow, UserRow } from './users.schema';

export type { PresenceStatus } from './presence';

/** What anyone signed in sees of an account: never the email, never a hash. */
export interface PublicUserDto {
  id: string;
  username: string;
  bio: string;
  /**
   * A short-lived signed URL of the avatar (its 256 px thumbnail once made, else the original),
   * or null. Fetch the profile again for a fresh one; see the media README.
   */
  avatarUrl: string | null;
  status: PresenceStatus;
  lastSeenAt: string | null;
  createdAt: string;
}

/** What the owner sees of their own account. */
export interface SelfUserDto extends PublicUserDto {
  email: string;
}

export type FriendRequestDirection = 'incoming' | 'outgoing';

export interface FriendRequestDto {
  id: string;
  status: FriendRequestStatus;
  /** Seen from the caller: `incoming` when they are the recipient. */
  direction: FriendRequestDirection;
  fromUserId: string;
  toUserId: string;
  /** The other party's public profile. */
  user: PublicUserDto;
  createdAt: string;
  respondedAt: string | null;
}

export interface FriendDto {
  user: PublicUserDto;
  /** When the friendship began. */
  since: string;
}

export interface BlockDto {
  user: PublicUserDto;
  blockedAt: string;
}

/** POST /me/friend-requests: a new request, or, when they had already asked you, a friendship. */
export interface SendFriendRequestResultDto {
  outcome: 'requested' | 'accepted';
  request: FriendRequestDto;
  /** Set when `outcome` is `accepted`. */
  friend: FriendDto | null;
}

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
