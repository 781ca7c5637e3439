/** Wire shapes of the media module (API.md "Media"). Types only. */

export type MediaPurpose = 'avatar' | 'attachment';
export type MediaStatus = 'pending' | 'ready' | 'rejected';

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
