import type * as Contract from '../../src/contract';
import type { BearerTokens } from '../../src/modules/auth/auth-transport';
import type { SessionView } from '../../src/modules/auth/sessions/sessions.service';
import type { SuccessEnvelope } from '../../src/common/http/envelope.interceptor';
import * as media from '../../src/modules/media/media.mapper';
import * as users from '../../src/modules/users/users.mapper';
import type { ProfileRow } from '../../src/modules/users/users.schema';
import type { MediaRow } from '../../src/modules/media/media.schema';

/**
 * src/contract holds the wire types the SDK and browsers compile against. The users and media
 * mappers build those very types, but TypeScript lets a mapper add fields the contract lacks, so
 * the key lists below are checked against real mapper output at run time; the auth and envelope
 * modules still declare their own types, compared here at typecheck.
 */
type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

const sameTypes: Record<string, true> = {
  BearerTokens: true satisfies Equal<Contract.BearerTokens, BearerTokens>,
  SessionView: true satisfies Equal<Contract.SessionView, SessionView>,
  SuccessEnvelope: true satisfies Equal<
    Contract.SuccessEnvelope<unknown>,
    SuccessEnvelope<unknown>
  >,
};

const publicUserKeys = {
  id: true,
  username: true,
  bio: true,
  avatarUrl: true,
  status: true,
  lastSeenAt: true,
  createdAt: true,
} satisfies Record<keyof Contract.PublicUserDto, true>;

const mediaKeys = {
  id: true,
  purpose: true,
  status: true,
  filename: true,
  contentType: true,
  size: true,
  width: true,
  height: true,
  createdAt: true,
  url: true,
  thumbnailUrl: true,
  urlExpiresAt: true,
} satisfies Record<keyof Contract.MediaDto, true>;

describe('src/contract against the server modules', () => {
  it('declares the same types as the modules', () => {
    expect(Object.values(sameTypes).every(Boolean)).toBe(true);
  });

  it('has exactly the fields the users mapper produces', () => {
    const row = {
      id: 'u1',
      username: 'asha',
      bio: '',
      avatarMediaId: null,
      createdAt: new Date(0),
      lastSeenAt: null,
    } as ProfileRow;
    expect(Object.keys(users.toPublicUser(row)).sort()).toEqual(Object.keys(publicUserKeys).sort());
  });

  it('has exactly the fields the media mapper produces', () => {
    const row = {
      id: 'm1',
      purpose: 'attachment',
      status: 'ready',
      filename: 'a.png',
      contentType: 'image/png',
      size: 1,
      width: 1,
      height: 1,
      createdAt: new Date(0),
    } as MediaRow;
    expect(Object.keys(media.toMediaDto(row)).sort()).toEqual(Object.keys(mediaKeys).sort());
  });
});
