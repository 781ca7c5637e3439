import type { UserRow } from './users.schema';

export type PresenceStatus = 'online' | 'offline';

/** What the owner sees of their own account. */
export interface SelfUserDto {
  id: string;
  username: string;
  email: string;
  bio: string;
  avatarUrl: string | null;
  status: PresenceStatus;
  lastSeenAt: string | null;
  createdAt: string;
}

/** What anyone signed in sees of another account: never the email, never a hash. */
export type PublicUserDto = Omit<SelfUserDto, 'email'>;

export function toPublicUser(row: UserRow, status: PresenceStatus = 'offline'): PublicUserDto {
  return {
    id: row.id,
    username: row.username,
    bio: row.bio,
    avatarUrl: null,
    status,
    lastSeenAt: row.lastSeenAt ? row.lastSeenAt.toISOString() : null,
    createdAt: row.createdAt.toISOString(),
  };
}

export function toSelfUser(row: UserRow, status: PresenceStatus = 'offline'): SelfUserDto {
  return { ...toPublicUser(row, status), email: row.email };
}
