import { OfflinePresenceReader, PresenceDirectory, type PresenceReader } from './presence';
import { toFriendRequest, toPublicUser, toSelfUser } from './users.mapper';
import type { UserRow } from './users.schema';

const row: UserRow = {
  id: '0198f3b2-7c1a-7b3e-9a1b-1234567890ab',
  username: 'Asha_K',
  email: 'asha@example.com',
  passwordHash: '$2b$12$secret',
  bio: 'hi',
  avatarMediaId: '0198f3b2-7c1a-7b3e-9a1b-0000000000aa',
  createdAt: new Date('2026-01-01T00:00:00.000Z'),
  updatedAt: new Date('2026-01-02T00:00:00.000Z'),
  lastSeenAt: new Date('2026-01-03T00:00:00.000Z'),
};

describe('users.mapper', () => {
  it('a public profile is a whitelist: no email, no hash, no internal columns', () => {
    expect(toPublicUser(row)).toEqual({
      id: row.id,
      username: 'Asha_K',
      bio: 'hi',
      avatarUrl: null,
      status: 'offline',
      lastSeenAt: '2026-01-03T00:00:00.000Z',
      createdAt: '2026-01-01T00:00:00.000Z',
    });
  });

  it('the own profile adds the email, and only the email', () => {
    const self = toSelfUser(row, { status: 'online', lastSeenAt: null });
    expect(Object.keys(self).sort()).toEqual(
      ['avatarUrl', 'bio', 'createdAt', 'email', 'id', 'lastSeenAt', 'status', 'username'].sort(),
    );
    expect(self).toMatchObject({ email: 'asha@example.com', status: 'online' });
    expect(JSON.stringify(self)).not.toContain('secret');
  });

  it('a friend request reads as incoming for its recipient and outgoing for its sender', () => {
    const request = {
      id: 'r',
      fromUserId: 'a',
      toUserId: 'b',
      status: 'pending' as const,
      createdAt: new Date(0),
      respondedAt: null,
    };
    const other = toPublicUser(row);
    expect(toFriendRequest(request, 'b', other).direction).toBe('incoming');
    expect(toFriendRequest(request, 'a', other).direction).toBe('outgoing');
  });
});

describe('PresenceDirectory', () => {
  const subjects = [
    { id: 'a', lastSeenAt: new Date(1_000) },
    { id: 'b', lastSeenAt: null },
  ];

  it('answers offline with the stored last-seen time until chat plugs in a reader', async () => {
    const presence = await new PresenceDirectory().read(subjects);
    expect(presence.get('a')).toEqual({ status: 'offline', lastSeenAt: new Date(1_000) });
    expect(presence.get('b')).toEqual({ status: 'offline', lastSeenAt: null });
    expect(await new OfflinePresenceReader().read(subjects)).toEqual(presence);
  });

  it('uses the reader it is given, and treats users the reader forgot as offline', async () => {
    const directory = new PresenceDirectory();
    const online: PresenceReader = {
      read: () => Promise.resolve(new Map([['a', { status: 'online', lastSeenAt: null }]])),
    };
    directory.use(online);
    const presence = await directory.read(subjects);
    expect(presence.get('a')).toEqual({ status: 'online', lastSeenAt: null });
    expect(presence.get('b')).toEqual({ status: 'offline', lastSeenAt: null });
  });
});
