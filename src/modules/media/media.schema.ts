import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Uploaded files. `storage_key` is chosen by the server (never derived from the filename);
 * `filename` is the sanitised original name, kept only for Content-Disposition.
 * No foreign key to users: modules never reach into another module's tables.
 */
export const media = pgTable(
  'media',
  {
    id: uuid('id').primaryKey(),
    ownerId: uuid('owner_id').notNull(),
    purpose: text('purpose', { enum: ['avatar', 'attachment'] }).notNull(),
    storageKey: text('storage_key').notNull().unique(),
    filename: text('filename').notNull(),
    contentType: text('content_type').notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    status: text('status', { enum: ['pending', 'ready', 'rejected'] })
      .notNull()
      .default('pending'),
    width: integer('width'),
    height: integer('height'),
    thumbnailKey: text('thumbnail_key'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (table) => [
    index('media_owner_id_idx').on(table.ownerId),
    // The cleanup job's scan: pending uploads older than 24 h.
    index('media_status_created_at_idx').on(table.status, table.createdAt),
    check('media_purpose_check', sql`${table.purpose} in ('avatar', 'attachment')`),
    check('media_status_check', sql`${table.status} in ('pending', 'ready', 'rejected')`),
    check('media_size_check', sql`${table.size} > 0`),
  ],
);

export type MediaRow = typeof media.$inferSelect;
export type NewMediaRow = typeof media.$inferInsert;
export type MediaPurpose = MediaRow['purpose'];
export type MediaStatus = MediaRow['status'];
