import { Inject, Injectable } from '@nestjs/common';
import { and, eq } from 'drizzle-orm';
import { DATABASE, type Database } from '../../infra/database/database.types';
import { media, type MediaRow, type NewMediaRow } from './media.schema';

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
}
