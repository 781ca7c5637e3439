import { Injectable } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { AppException } from '../../common/errors/app.exception';
import { Page } from '../../common/http/page';
import { FriendsRepository } from './friends.repository';
import type { FriendRequestRow } from './friends.schema';
import { cursorDate, cursorUuid, decodeCursor, encodeCursor, pageOf } from './pagination';
import { ProfileAssembler } from './profiles';
import {
  toFriend,
  toFriendRequest,
  type FriendDto,
  type FriendRequestDirection,
  type FriendRequestDto,
  type SendFriendRequestResultDto,
} from './users.mapper';
import { friendRequestNotFound, notYourself, userNotFound } from './users.errors';
import { UniqueViolation, UsersRepository } from './users.repository';
import type { ProfileRow } from './users.schema';

const FRIENDS_CURSOR = 'users.friends';
const REQUESTS_CURSOR = 'users.friend-requests';
/** The pair lock makes a unique violation impossible between our own writers; one retry is a backstop. */
const SEND_ATTEMPTS = 2;

/** The friend-request state machine (pending → accepted | declined | cancelled) and friendships. */
@Injectable()
export class FriendsService {
  constructor(
    private readonly friends: FriendsRepository,
    private readonly users: UsersRepository,
    private readonly profiles: ProfileAssembler,
  ) {}

  /**
   * Sends a request, or, when `targetId` had already asked the caller, accepts theirs: the two
   * become friends at once. Refused as an unknown user when either has blocked the other.
   */
  async send(callerId: string, targetId: string): Promise<SendFriendRequestResultDto> {
    if (callerId === targetId) throw notYourself('userId', 'send a friend request to');
    const target = await this.users.findProfileById(targetId);
    if (!target) throw userNotFound();
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.friends.inPairTransaction(callerId, targetId, (repo) =>
          this.sendLocked(repo, callerId, target),
        );
      } catch (error) {
        if (!(error instanceof UniqueViolation) || attempt >= SEND_ATTEMPTS) throw error;
      }
    }
  }

  private async sendLocked(
    repo: FriendsRepository,
    callerId: string,
    target: ProfileRow,
  ): Promise<SendFriendRequestResultDto> {
    if (await repo.isBlockedEither(callerId, target.id)) throw userNotFound();
    if (await repo.areFriends(callerId, target.id)) {
      throw new AppException('ALREADY_FRIENDS', 'You are already friends');
    }
    const pending = await repo.findPendingBetween(callerId, target.id);
    if (pending?.fromUserId === callerId) {
      throw new AppException('FRIEND_REQUEST_PENDING', 'You have already sent this user a request');
    }
    const profile = await this.profiles.one(target);
    if (pending) {
      const accepted = await repo.resolveRequest(pending.id, 'accepted');
      if (!accepted) throw friendRequestNotFound(); // cannot happen under the pair lock
      const since = await repo.insertFriendship(callerId, target.id);
      return {
        outcome: 'accepted',
        request: toFriendRequest(accepted, callerId, profile),
        friend: toFriend(profile, since),
      };
    }
    const created = await repo.insertRequest(uuidv7(), callerId, target.id);
    return {
      outcome: 'requested',
      request: toFriendRequest(created, callerId, profile),
      friend: null,
    };
  }

  /** Only the recipient may accept; anyone else is told there is no such request. */
  async accept(callerId: string, requestId: string): Promise<SendFriendRequestResultDto> {
    const found = await this.pendingFor(requestId, (r) => r.toUserId === callerId);
    const { request, since } = await this.friends.inPairTransaction(
      found.fromUserId,
      found.toUserId,
      async (repo) => {
        const accepted = await repo.resolveRequest(found.id, 'accepted');
        if (!accepted) throw friendRequestNotFound();
        return {
          request: accepted,
          since: await repo.insertFriendship(callerId, found.fromUserId),
        };
      },
    );
    const profile = await this.profileOf(found.fromUserId);
    return {
      outcome: 'accepted',
      request: toFriendRequest(request, callerId, profile),
      friend: toFriend(profile, since),
    };
  }

  /** The recipient declines. */
  decline(callerId: string, requestId: string): Promise<FriendRequestDto> {
    return this.close(callerId, requestId, 'declined', (r) => r.toUserId === callerId);
  }

  /** The sender withdraws their request. */
  cancel(callerId: string, requestId: string): Promise<FriendRequestDto> {
    return this.close(callerId, requestId, 'cancelled', (r) => r.fromUserId === callerId);
  }

  async listRequests(
    callerId: string,
    direction: FriendRequestDirection,
    page: { cursor?: string; limit: number },
  ): Promise<Page<FriendRequestDto>> {
    const afterId =
      page.cursor === undefined
        ? undefined
        : cursorUuid(decodeCursor(`${REQUESTS_CURSOR}.${direction}`, page.cursor, 1)[0]);
    const rows = await this.friends.listPending(callerId, direction, page.limit + 1, afterId);
    const { items, nextCursor } = pageOf(rows, page.limit, (last) =>
      encodeCursor(`${REQUESTS_CURSOR}.${direction}`, [last.request.id]),
    );
    const profiles = await this.profiles.many(items.map((item) => item.profile));
    return new Page(
      items.map((item, i) => toFriendRequest(item.request, callerId, profiles[i])),
      nextCursor,
    );
  }

  async listFriends(
    callerId: string,
    page: { cursor?: string; limit: number },
  ): Promise<Page<FriendDto>> {
    const after =
      page.cursor === undefined ? undefined : decodeCursor(FRIENDS_CURSOR, page.cursor, 2);
    const rows = await this.friends.listFriends(
      callerId,
      page.limit + 1,
      after && { createdAt: cursorDate(after[0]), userId: cursorUuid(after[1]) },
    );
    const { items, nextCursor } = pageOf(rows, page.limit, (last) =>
      encodeCursor(FRIENDS_CURSOR, [last.createdAt.toISOString(), last.profile.id]),
    );
    const profiles = await this.profiles.many(items.map((item) => item.profile));
    return new Page(
      items.map((item, i) => toFriend(profiles[i], item.createdAt)),
      nextCursor,
    );
  }

  async unfriend(callerId: string, friendId: string): Promise<void> {
    const removed = await this.friends.inPairTransaction(callerId, friendId, (repo) =>
      repo.deleteFriendship(callerId, friendId),
    );
    if (!removed)
      throw new AppException('FRIENDSHIP_NOT_FOUND', 'You are not friends with this user');
  }

  private async close(
    callerId: string,
    requestId: string,
    status: 'declined' | 'cancelled',
    mayClose: (request: FriendRequestRow) => boolean,
  ): Promise<FriendRequestDto> {
    const found = await this.pendingFor(requestId, mayClose);
    const closed = await this.friends.inPairTransaction(found.fromUserId, found.toUserId, (repo) =>
      repo.resolveRequest(found.id, status),
    );
    if (!closed) throw friendRequestNotFound();
    const other = closed.fromUserId === callerId ? closed.toUserId : closed.fromUserId;
    return toFriendRequest(closed, callerId, await this.profileOf(other));
  }

  private async pendingFor(
    requestId: string,
    mayAct: (request: FriendRequestRow) => boolean,
  ): Promise<FriendRequestRow> {
    const request = await this.friends.findRequest(requestId);
    if (!request || request.status !== 'pending' || !mayAct(request)) throw friendRequestNotFound();
    return request;
  }

  private async profileOf(userId: string) {
    const row = await this.users.findProfileById(userId);
    if (!row) throw userNotFound();
    return this.profiles.one(row);
  }
}
