import { Injectable } from '@nestjs/common';
import { MediaLinks } from '../media/media-links.service';
import { PresenceDirectory } from './presence';
import { toPublicUser, toSelfUser, type PublicUserDto, type SelfUserDto } from './users.mapper';
import type { ProfileRow, UserRow } from './users.schema';

/**
 * Turns profile rows into response DTOs with presence and avatar URLs attached: one presence read
 * and at most one media lookup per list (none when nobody on it has an avatar).
 */
@Injectable()
export class ProfileAssembler {
  constructor(
    private readonly presence: PresenceDirectory,
    private readonly media: MediaLinks,
  ) {}

  async many(rows: readonly ProfileRow[]): Promise<PublicUserDto[]> {
    const [presence, avatars] = await Promise.all([
      this.presence.read(rows),
      this.media.avatarUrls(rows.map((row) => row.avatarMediaId)),
    ]);
    return rows.map((row) => toPublicUser(row, presence.get(row.id), avatarOf(row, avatars)));
  }

  async one(row: ProfileRow): Promise<PublicUserDto> {
    const [profile] = await this.many([row]);
    return profile;
  }

  async self(row: ProfileRow & Pick<UserRow, 'email'>): Promise<SelfUserDto> {
    const [presence, avatars] = await Promise.all([
      this.presence.read([row]),
      this.media.avatarUrls([row.avatarMediaId]),
    ]);
    return toSelfUser(row, presence.get(row.id), avatarOf(row, avatars));
  }
}

function avatarOf(row: ProfileRow, avatars: Map<string, string>): string | null {
  return row.avatarMediaId ? (avatars.get(row.avatarMediaId) ?? null) : null;
}
