import { Injectable } from '@nestjs/common';
import { UsersService } from '../users/users.service';
import type { MemberProfile } from './chat.mapper';

/** What chat asks of the users module: who exists, what they look like, who blocked whom. */
@Injectable()
export class MemberDirectory {
  constructor(private readonly users: UsersService) {}

  /** Profiles of those of `ids` that exist, by id. */
  async profiles(ids: readonly string[]): Promise<Map<string, MemberProfile>> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return new Map();
    const found = await this.users.publicProfiles(unique);
    return new Map(
      found.map((user) => [
        user.id,
        { id: user.id, username: user.username, avatarUrl: user.avatarUrl },
      ]),
    );
  }

  isBlockedEither(a: string, b: string): Promise<boolean> {
    return this.users.isBlockedEither(a, b);
  }

  blockedAmong(userId: string, others: readonly string[]): Promise<string[]> {
    return this.users.blockedAmong(userId, others);
  }
}
