import { Injectable } from '@nestjs/common';
import { PresenceDirectory } from './presence';
import { toPublicUser, toSelfUser, type PublicUserDto, type SelfUserDto } from './users.mapper';
import type { ProfileRow, UserRow } from './users.schema';

/** Turns profile rows into response DTOs with presence attached (one presence read per list). */
@Injectable()
export class ProfileAssembler {
  constructor(private readonly presence: PresenceDirectory) {}

  async many(rows: readonly ProfileRow[]): Promise<PublicUserDto[]> {
    const presence = await this.presence.read(rows);
    return rows.map((row) => toPublicUser(row, presence.get(row.id)));
  }

  async one(row: ProfileRow): Promise<PublicUserDto> {
    const [profile] = await this.many([row]);
    return profile;
  }

  async self(row: ProfileRow & Pick<UserRow, 'email'>): Promise<SelfUserDto> {
    const presence = await this.presence.read([row]);
    return toSelfUser(row, presence.get(row.id));
  }
}
