import { Injectable } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { AppException } from '../../common/errors/app.exception';
import { Page } from '../../common/http/page';
import { MediaLinks } from '../media/media-links.service';
import { BlocksRepository } from './blocks.repository';
import { FriendsRepository } from './friends.repository';
import { decodeCursor, encodeCursor, pageOf } from './pagination';
import { ProfileAssembler } from './profiles';
import type { PublicUserDto, SelfUserDto } from './users.mapper';
import { userNotFound, usernameTaken } from './users.errors';
import { UniqueViolation, UsersRepository, type ProfileChanges } from './users.repository';

/** The account data other modules may read: credentials included, for auth only. */
export interface UserAccount {
  id: string;
  username: string;
  email: string;
  passwordHash: string;
}

export interface ProfileUpdate {
  username?: string;
  bio?: string;
  /** A media id to use as avatar, or null to remove it. */
  avatarMediaId?: string | null;
}

const SEARCH_CURSOR = 'users.search';

/**
 * Accounts and profiles. Also the facade other modules use (auth: accounts; chat: blocks,
 * friendship and last-seen), so they never touch this module's repositories.
 */
@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly friends: FriendsRepository,
    private readonly blocks: BlocksRepository,
    private readonly profiles: ProfileAssembler,
    private readonly media: MediaLinks,
  ) {}

  async findAccountByLogin(login: string): Promise<UserAccount | undefined> {
    const row = login.includes('@')
      ? await this.users.findByEmail(login.trim().toLowerCase())
      : await this.users.findByUsername(login.trim());
    return (
      row && {
        id: row.id,
        username: row.username,
        email: row.email,
        passwordHash: row.passwordHash,
      }
    );
  }

  async findAccountById(id: string): Promise<UserAccount | undefined> {
    const row = await this.users.findById(id);
    return (
      row && {
        id: row.id,
        username: row.username,
        email: row.email,
        passwordHash: row.passwordHash,
      }
    );
  }

  async getSelf(id: string): Promise<SelfUserDto> {
    const row = await this.users.findById(id);
    if (!row) throw userNotFound();
    return this.profiles.self(row);
  }

  /** Throws USERNAME_TAKEN / EMAIL_TAKEN when either is already registered (username case-insensitively). */
  async assertAvailable(username: string, email: string): Promise<void> {
    if (await this.users.findByUsername(username)) throw usernameTaken();
    if (await this.users.findByEmail(email))
      throw new AppException('EMAIL_TAKEN', 'That email is already registered');
  }

  async createAccount(input: {
    username: string;
    email: string;
    passwordHash: string;
  }): Promise<SelfUserDto> {
    try {
      const row = await this.users.insert({ id: uuidv7(), ...input });
      return await this.profiles.self(row);
    } catch (error) {
      if (error instanceof UniqueViolation) {
        throw error.constraint.includes('email')
          ? new AppException('EMAIL_TAKEN', 'That email is already registered')
          : usernameTaken();
      }
      throw error;
    }
  }

  async changePasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.users.updatePasswordHash(id, passwordHash);
  }

  /**
   * `avatarMediaId` must be a ready avatar upload of this user's (else 422 MEDIA_NOT_READY on
   * that field, nothing changed); null removes the avatar.
   */
  async updateSelf(id: string, update: ProfileUpdate): Promise<SelfUserDto> {
    const changes: ProfileChanges = {};
    if (typeof update.avatarMediaId === 'string') {
      await this.media.assertOwnReady(id, update.avatarMediaId, 'avatar', 'avatarMediaId');
      changes.avatarMediaId = update.avatarMediaId.toLowerCase();
    }
    if (update.username !== undefined) changes.username = update.username;
    if (update.bio !== undefined) changes.bio = update.bio;
    if (update.avatarMediaId === null) changes.avatarMediaId = null;
    if (Object.keys(changes).length === 0) return this.getSelf(id);
    if (changes.username !== undefined) {
      // A friendly answer before the write; the unique index still settles a race.
      const holder = await this.users.findByUsername(changes.username);
      if (holder && holder.id !== id) throw usernameTaken();
    }
    try {
      const row = await this.users.updateProfile(id, changes);
      if (!row) throw userNotFound();
      return await this.profiles.self(row);
    } catch (error) {
      if (error instanceof UniqueViolation) throw usernameTaken();
      throw error;
    }
  }

  /** Someone's public profile; 404 for unknown users and for users who have blocked the viewer. */
  async getProfile(viewerId: string, id: string): Promise<PublicUserDto> {
    const row = await this.users.findProfileById(id);
    if (!row || (id !== viewerId && (await this.blocks.hasBlocked(id, viewerId)))) {
      throw userNotFound();
    }
    return this.profiles.one(row);
  }

  async search(
    callerId: string,
    query: { q: string; cursor?: string; limit: number },
  ): Promise<Page<PublicUserDto>> {
    const after =
      query.cursor === undefined ? undefined : decodeCursor(SEARCH_CURSOR, query.cursor, 1)[0];
    const rows = await this.users.search({
      callerId,
      prefix: query.q,
      after,
      limit: query.limit + 1,
    });
    const { items, nextCursor } = pageOf(rows, query.limit, (last) =>
      encodeCursor(SEARCH_CURSOR, [last.username.toLowerCase()]),
    );
    return new Page(await this.profiles.many(items), nextCursor);
  }

  /** For chat: true when either user has blocked the other (no direct chat, no messages, no presence). */
  isBlockedEither(a: string, b: string): Promise<boolean> {
    return this.blocks.isBlockedEither(a, b);
  }

  /** For chat: which of `others` have blocked `userId` or are blocked by them (one statement). */
  blockedAmong(userId: string, others: readonly string[]): Promise<string[]> {
    return this.blocks.blockedEitherAmong(userId, others);
  }

  /** For chat: public profiles of those of `ids` that exist (one statement, one presence read). */
  async publicProfiles(ids: readonly string[]): Promise<PublicUserDto[]> {
    return this.profiles.many(await this.users.findProfilesByIds(ids));
  }

  /** For chat: one primary-key lookup. */
  areFriends(a: string, b: string): Promise<boolean> {
    return this.friends.areFriends(a, b);
  }

  /** For chat's presence: who hears about the user's online/offline (blocks are not filtered here). */
  friendIdsOf(userId: string): Promise<string[]> {
    return this.friends.friendIdsOf(userId);
  }

  /** For chat's presence: when the user's last socket closed. */
  async recordLastSeen(userId: string, at: Date = new Date()): Promise<void> {
    await this.users.updateLastSeen(userId, at);
  }
}
