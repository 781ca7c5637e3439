/** Wire shapes of the users module (API.md "Users"). Types only. */

export type PresenceStatus = 'online' | 'offline';
export type FriendRequestStatus = 'pending' | 'accepted' | 'declined' | 'cancelled';
export type FriendRequestDirection = 'incoming' | 'outgoing';

/** What anyone signed in sees of an account: never the email. */
export interface PublicUserDto {
  id: string;
  username: string;
  bio: string;
  avatarUrl: string | null;
  status: PresenceStatus;
  lastSeenAt: string | null;
  createdAt: string;
}

/** What the owner sees of their own account. */
export interface SelfUserDto extends PublicUserDto {
  email: string;
}

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
  since: string;
}

export interface BlockDto {
  user: PublicUserDto;
  blockedAt: string;
}

export interface SendFriendRequestResultDto {
  outcome: 'requested' | 'accepted';
  request: FriendRequestDto;
  /** Set when `outcome` is `accepted`. */
  friend: FriendDto | null;
}
