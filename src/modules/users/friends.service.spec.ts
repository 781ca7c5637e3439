import { AppException } from '../../common/errors/app.exception';
import type { MediaLinks } from '../media/media-links.service';
import type { FriendsRepository } from './friends.repository';
import type { FriendRequestRow } from './friends.schema';
import { FriendsService } from './friends.service';
import { PresenceDirectory } from './presence';
import { ProfileAssembler } from './profiles';
import { UniqueViolation, type UsersRepository } from './users.repository';

const A = '0198f3b2-7c1a-7b3e-9a1b-00000000000a';
const B = '0198f3b2-7c1a-7b3e-9a1b-00000000000b';
const profileB = {
  id: B,
  username: 'bob',
  bio: '',
  avatarMediaId: null,
  createdAt: new Date(0),
  lastSeenAt: null,
};
const pendingFromB: FriendRequestRow = {
  id: 'r1',
  fromUserId: B,
  toUserId: A,
  status: 'pending',
  createdAt: new Date(0),
  respondedAt: null,
};

/** A repository whose transaction just runs the work on itself. */
function fakeRepo(overrides: Partial<Record<keyof FriendsRepository, jest.Mock>> = {}) {
  const repo = {
    isBlockedEither: jest.fn().mockResolvedValue(false),
    areFriends: jest.fn().mockResolvedValue(false),
    findPendingBetween: jest.fn().mockResolvedValue(undefined),
    insertRequest: jest.fn(),
    resolveRequest: jest.fn(),
    insertFriendship: jest.fn().mockResolvedValue(new Date(5)),
    ...overrides,
  } as unknown as FriendsRepository & Record<string, jest.Mock>;
  (repo as unknown as { inPairTransaction: unknown }).inPairTransaction = jest.fn(
    (_a: string, _b: string, work: (r: FriendsRepository) => Promise<unknown>) => work(repo),
  );
  return repo;
}

function serviceWith(repo: FriendsRepository, target: typeof profileB | null = profileB) {
  const users = {
    findProfileById: jest.fn().mockResolvedValue(target ?? undefined),
  } as unknown as UsersRepository;
  const media = { avatarUrls: jest.fn().mockResolvedValue(new Map()) } as unknown as MediaLinks;
  return new FriendsService(repo, users, new ProfileAssembler(new PresenceDirectory(), media));
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppException) return error.code;
    throw error;
  }
  throw new Error('expected an AppException');
}

describe('FriendsService.send', () => {
  it('refuses yourself (422) and unknown users (404) before opening a transaction', async () => {
    const repo = fakeRepo();
    expect(await codeOf(serviceWith(repo).send(A, A))).toBe('VALIDATION_FAILED');
    const missing = serviceWith(repo, null);
    expect(await codeOf(missing.send(A, B))).toBe('USER_NOT_FOUND');
    expect(repo.inPairTransaction).not.toHaveBeenCalled();
  });

  it('answers a block either way as an unknown user', async () => {
    const repo = fakeRepo({ isBlockedEither: jest.fn().mockResolvedValue(true) });
    expect(await codeOf(serviceWith(repo).send(A, B))).toBe('USER_NOT_FOUND');
    expect(repo.insertRequest).not.toHaveBeenCalled();
  });

  it('accepts the reverse pending request instead of creating a second one', async () => {
    const repo = fakeRepo({
      findPendingBetween: jest.fn().mockResolvedValue(pendingFromB),
      resolveRequest: jest
        .fn()
        .mockResolvedValue({ ...pendingFromB, status: 'accepted', respondedAt: new Date(5) }),
    });
    const result = await serviceWith(repo).send(A, B);
    expect(result.outcome).toBe('accepted');
    expect(result.request).toMatchObject({ id: 'r1', status: 'accepted', direction: 'incoming' });
    expect(result.friend?.user.id).toBe(B);
    expect(repo.resolveRequest).toHaveBeenCalledWith('r1', 'accepted');
    expect(repo.insertFriendship).toHaveBeenCalledWith(A, B);
    expect(repo.insertRequest).not.toHaveBeenCalled();
  });

  it('retries once when the pending-pair index says another request got in first', async () => {
    const findPendingBetween = jest
      .fn()
      .mockResolvedValueOnce(undefined)
      .mockResolvedValueOnce(pendingFromB);
    const repo = fakeRepo({
      findPendingBetween,
      insertRequest: jest
        .fn()
        .mockRejectedValue(new UniqueViolation('friend_requests_pending_pair_key')),
      resolveRequest: jest.fn().mockResolvedValue({ ...pendingFromB, status: 'accepted' }),
    });
    const result = await serviceWith(repo).send(A, B);
    expect(result.outcome).toBe('accepted');
    expect(repo.inPairTransaction).toHaveBeenCalledTimes(2);
  });

  it('gives up after the second unique violation rather than looping', async () => {
    const repo = fakeRepo({
      insertRequest: jest.fn().mockRejectedValue(new UniqueViolation('x')),
    });
    await expect(serviceWith(repo).send(A, B)).rejects.toBeInstanceOf(UniqueViolation);
    expect(repo.inPairTransaction).toHaveBeenCalledTimes(2);
  });
});
