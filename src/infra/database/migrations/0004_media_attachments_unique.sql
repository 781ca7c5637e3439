DROP INDEX "message_attachments_message_media_key";--> statement-breakpoint
DROP INDEX "message_attachments_media_id_idx";--> statement-breakpoint
CREATE UNIQUE INDEX "message_attachments_media_id_key" ON "message_attachments" USING btree ("media_id");