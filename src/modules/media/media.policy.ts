import type { MediaPurpose } from './media.schema';

/** Content types accepted per purpose. SVG is deliberately absent (it is a document that runs script). */
export const ALLOWED_TYPES: Readonly<Record<MediaPurpose, readonly string[]>> = {
  avatar: ['image/jpeg', 'image/png', 'image/webp'],
  attachment: [
    'image/jpeg',
    'image/png',
    'image/webp',
    'image/gif',
    'application/pdf',
    'video/mp4',
    'video/webm',
    'audio/mpeg',
    'audio/ogg',
    'audio/mp4',
  ],
};

export const MEDIA_PURPOSES: readonly MediaPurpose[] = ['avatar', 'attachment'];

const MAX_FILENAME_LENGTH = 200;

/**
 * The name shown in Content-Disposition: no path, no control or quoting characters, bounded.
 * Storage never uses it.
 */
export function sanitiseFilename(raw: string): string {
  const base = raw.normalize('NFC').split(/[\\/]/).pop() ?? '';
  const cleaned = base
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f"*:<>?|\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, '_')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^\.+/, '');
  const bounded = Array.from(cleaned).slice(0, MAX_FILENAME_LENGTH).join('');
  return bounded.length > 0 ? bounded : 'file';
}

/** `inline` for what browsers only display; PDFs and anything else download. */
export function contentDisposition(filename: string, contentType: string): string {
  const kind = /^(image|audio|video)\//.test(contentType) ? 'inline' : 'attachment';
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/[\\%]/g, '_');
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
