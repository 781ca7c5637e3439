import { Injectable } from '@nestjs/common';

export type PresenceStatus = 'online' | 'offline';

export interface Presence {
  status: PresenceStatus;
  lastSeenAt: Date | null;
}

/** What a presence reader needs to know of each user: the stored `users.last_seen_at`. */
export interface PresenceSubject {
  id: string;
  lastSeenAt: Date | null;
}

/**
 * Answers "is this user online, and when were they last seen?". Presence belongs to the chat
 * module (socket counts in Redis); users only shows it on profiles.
 */
export interface PresenceReader {
  read(subjects: readonly PresenceSubject[]): Promise<Map<string, Presence>>;
}

/** The stand-in until chat lands: everyone is offline, last seen when users.last_seen_at says. */
export class OfflinePresenceReader implements PresenceReader {
  read(subjects: readonly PresenceSubject[]): Promise<Map<string, Presence>> {
    return Promise.resolve(
      new Map(subjects.map((s) => [s.id, { status: 'offline', lastSeenAt: s.lastSeenAt }])),
    );
  }
}

/**
 * The one place users asks for presence. The chat module replaces the reader at boot
 * (`presenceDirectory.use(chatPresenceReader)` in its onModuleInit), so users never depends on
 * chat and chat depends on users through this exported class only.
 */
@Injectable()
export class PresenceDirectory {
  private reader: PresenceReader = new OfflinePresenceReader();

  use(reader: PresenceReader): void {
    this.reader = reader;
  }

  async read(subjects: readonly PresenceSubject[]): Promise<Map<string, Presence>> {
    if (subjects.length === 0) return new Map();
    const found = await this.reader.read(subjects);
    // A reader that forgets someone must not break a profile: missing means offline.
    return new Map(
      subjects.map((s) => [
        s.id,
        found.get(s.id) ?? { status: 'offline', lastSeenAt: s.lastSeenAt },
      ]),
    );
  }
}
