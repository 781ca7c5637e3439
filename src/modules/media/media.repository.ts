import { Inject, Injectable } from '@nestjs/common';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { DATABASE, type Database } from '../../infra/database/database.types';
import { media, type MediaRow, type NewMediaRow } from './media.schema';

export interface StaleMedia {
  id: string;
  storageKey: string;
}

@Injectable()
export class MediaRepository {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  async insert(row: NewMediaRow): Promise<MediaRow> {
    const [created] = await this.db.insert(media).values(row).returning();
    return created;
  }

  async findById(id: string): Promise<MediaRow | undefined> {
    const [row] = await this.db.select().from(media).where(eq(media.id, id)).limit(1);
    return row;
  }

  async findByIds(ids: readonly string[]): Promise<MediaRow[]> {
    if (ids.length === 0) return [];
    return this.db
      .select()
      .from(media)
      .where(inArray(media.id, [...ids]));
  }

  /** pending → ready; undefined when it was no longer pending (a concurrent completion won). */
  async markReady(
    id: string,
    dimensions: { width: number | null; height: number | null },
  ): Promise<MediaRow | undefined> {
    const [row] = await this.db
      .update(media)
      .set({ status: 'ready', ...dimensions })
      .where(and(eq(media.id, id), eq(media.status, 'pending')))
      .returning();
    return row;
  }

  async markRejected(id: string): Promise<void> {
    await this.db
      .update(media)
      .set({ status: 'rejected' })
      .where(and(eq(media.id, id), eq(media.status, 'pending')));
  }

  /** Records a ready image's thumbnail and its displayed dimensions; false when not ready. */
  async setThumbnail(
    id: string,
    thumbnail: { thumbnailKey: string; width: number; height: number },
  ): Promise<boolean> {
    const rows = await this.db
      .update(media)
      .set(thumbnail)
      .where(and(eq(media.id, id), eq(media.status, 'ready')))
      .returning({ id: media.id });
    return rows.length > 0;
  }

  /**
   * Claims up to `limit` pending (or already rejected) rows created before `cutoff` by marking
   * them rejected, so a completion racing the cleanup is refused instead of finding its object
   * gone. SKIP LOCKED lets two cleanup runs share the work without waiting on each other.
   */
  async claimStale(cutoff: Date, limit: number): Promise<StaleMedia[]> {
    const candidates = this.db
      .select({ id: media.id })
      .from(media)
      .where(
        and(
          inArray(media.status, ['pending', 'rejected']),
          sql`${media.createdAt} < ${cutoff.toISOString()}::timestamptz`,
        ),
      )
      .orderBy(media.createdAt)
      .limit(limit)
      .for('update', { skipLocked: true });
    return this.db
      .update(media)
      .set({ status: 'rejected' })
      .where(inArray(media.id, candidates))
      .returning({ id: media.id, storageKey: media.storageKey });
  }

  /** Deletes claimed (rejected) rows; a ready row is never deleted here. */
  async deleteRejected(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const rows = await this.db
      .delete(media)
      .where(and(inArray(media.id, [...ids]), eq(media.status, 'rejected')))
      .returning({ id: media.id });
    return rows.length;
  }
}
