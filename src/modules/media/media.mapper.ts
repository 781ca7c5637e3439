import type { SignedMediaUrls } from './media-urls';
import type { UploadInstructions } from './storage/storage.driver';
import type { MediaPurpose, MediaRow, MediaStatus } from './media.schema';

export interface UploadInstructionsDto {
  method: 'PUT' | 'POST';
  url: string;
  fields?: Record<string, string>;
  headers?: Record<string, string>;
  expiresAt: string;
}

export interface UploadIntentDto {
  mediaId: string;
  upload: UploadInstructionsDto;
}

export interface MediaDto {
  id: string;
  purpose: MediaPurpose;
  status: MediaStatus;
  filename: string;
  contentType: string;
  size: number;
  width: number | null;
  height: number | null;
  createdAt: string;
  /** Short-lived download URL; null until the media is ready. */
  url: string | null;
  /** Signed like `url`; null until the thumbnail job made one (images only). */
  thumbnailUrl: string | null;
  /** When `url` and `thumbnailUrl` stop working. */
  urlExpiresAt: string | null;
}

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
