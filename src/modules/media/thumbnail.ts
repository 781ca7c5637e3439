import type { Readable } from 'node:stream';
import sharp from 'sharp';
import type { MediaPurpose } from './media.schema';

/** Declared types the thumbnail job handles (GIF: its first frame). */
export const THUMBNAIL_SOURCE_TYPES: readonly string[] = [
  'image/png',
  'image/jpeg',
  'image/webp',
  'image/gif',
];
export const THUMBNAIL_CONTENT_TYPE = 'image/webp';
export const AVATAR_THUMBNAIL_SIZE = 256;
export const ATTACHMENT_THUMBNAIL_MAX = 512;
/**
 * Decompression-bomb guard: libvips refuses, from the header alone, an image of more pixels than
 * this (a 50 MB PNG can claim 10⁹ pixels, i.e. gigabytes once decoded). 50 MP covers cameras.
 */
export const THUMBNAIL_MAX_INPUT_PIXELS = 50_000_000;

export interface RenderedThumbnail {
  data: Buffer;
  /** The original's dimensions, as displayed (EXIF orientation applied). */
  width: number;
  height: number;
  thumbnailWidth: number;
  thumbnailHeight: number;
}

/** The image could not be decoded (corrupt, unsupported, too many pixels): retrying cannot help. */
export class UndecodableImageError extends Error {}

/** Where a media item's thumbnail lives: beside the original. Keys stay within [a-z0-9/_-]. */
export function thumbnailKeyOf(storageKey: string): string {
  return `${storageKey}_thumb`;
}

export function thumbnailFilename(filename: string): string {
  const stem = filename.replace(/\.[^.]*$/, '') || 'image';
  return `${stem}_thumb.webp`;
}

/**
 * Avatar: 256 px square, cropped to cover. Attachment: fit inside 512 px, never enlarged. WebP.
 * The source is read whole first (sharp buffers a stream input anyway; completion bounded it to
 * the declared size, at most the purpose's limit): errors of the source stream (storage) are
 * rethrown as they are, so the job can retry them; decoding failures become UndecodableImageError.
 */
export async function renderThumbnail(
  source: Readable,
  purpose: MediaPurpose,
  maxBytes = Number.MAX_SAFE_INTEGER,
): Promise<RenderedThumbnail> {
  const bytes = await readAll(source, maxBytes);
  try {
    const image = sharp(bytes, { limitInputPixels: THUMBNAIL_MAX_INPUT_PIXELS, failOn: 'error' });
    const meta = await image.metadata();
    const width = meta.autoOrient?.width ?? meta.width;
    const height = meta.autoOrient?.height ?? meta.height;
    if (!width || !height) throw new UndecodableImageError('the image has no dimensions');
    const oriented = image.rotate();
    const resized =
      purpose === 'avatar'
        ? oriented.resize(AVATAR_THUMBNAIL_SIZE, AVATAR_THUMBNAIL_SIZE, { fit: 'cover' })
        : oriented.resize(ATTACHMENT_THUMBNAIL_MAX, ATTACHMENT_THUMBNAIL_MAX, {
            fit: 'inside',
            withoutEnlargement: true,
          });
    const { data, info } = await resized
      .webp({ quality: 80 })
      .toBuffer({ resolveWithObject: true });
    return { data, width, height, thumbnailWidth: info.width, thumbnailHeight: info.height };
  } catch (error) {
    if (error instanceof UndecodableImageError) throw error;
    throw new UndecodableImageError(error instanceof Error ? error.message : String(error));
  }
}

async function readAll(source: Readable, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of source) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      total += buffer.length;
      if (total > maxBytes) throw new UndecodableImageError(`the object exceeds ${maxBytes} bytes`);
      chunks.push(buffer);
    }
  } finally {
    source.destroy();
  }
  return Buffer.concat(chunks);
}
