import type { MediaDto, UploadIntentDto } from '../../contract/media';
import type { SignedMediaUrls } from './media-urls';
import type { UploadInstructions } from './storage/storage.driver';
import type { MediaRow } from './media.schema';

// The wire shapes live in src/contract (shared with the SDK); the server builds them here.
export type { MediaDto, UploadInstructionsDto, UploadIntentDto } from '../../contract/media';

export function toUploadIntentDto(id: string, upload: UploadInstructions): UploadIntentDto {
  return {
    mediaId: id,
    upload: {
      method: upload.method,
      url: upload.url,
      ...(upload.fields ? { fields: upload.fields } : {}),
      ...(upload.headers ? { headers: upload.headers } : {}),
      expiresAt: upload.expiresAt.toISOString(),
    },
  };
}

/** Whitelist of what a client may see of a media row (never its storage key or owner). */
export function toMediaDto(row: MediaRow, download?: SignedMediaUrls): MediaDto {
  return {
    id: row.id,
    purpose: row.purpose,
    status: row.status,
    filename: row.filename,
    contentType: row.contentType,
    size: row.size,
    width: row.width,
    height: row.height,
    createdAt: row.createdAt.toISOString(),
    url: download?.url ?? null,
    thumbnailUrl: download?.thumbnailUrl ?? null,
    urlExpiresAt: download?.expiresAt.toISOString() ?? null,
  };
}
