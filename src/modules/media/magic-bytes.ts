/** How many leading bytes the sniffer needs; completion reads no more than this. */
export const SNIFF_BYTES = 64;

function startsWith(head: Buffer, bytes: readonly number[], offset = 0): boolean {
  if (head.length < offset + bytes.length) return false;
  return bytes.every((byte, index) => head[offset + index] === byte);
}

function ascii(head: Buffer, text: string, offset = 0): boolean {
  return startsWith(
    head,
    Array.from(text, (char) => char.charCodeAt(0)),
    offset,
  );
}

/** One check per allowed content type, from the formats' published signatures. */
const SIGNATURES: Readonly<Record<string, (head: Buffer) => boolean>> = {
  'image/jpeg': (head) => startsWith(head, [0xff, 0xd8, 0xff]),
  'image/png': (head) => startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  'image/gif': (head) => ascii(head, 'GIF87a') || ascii(head, 'GIF89a'),
  'image/webp': (head) => ascii(head, 'RIFF') && ascii(head, 'WEBP', 8),
  'application/pdf': (head) => ascii(head, '%PDF-'),
  // ISO base media: a box size, then `ftyp`; the brand varies by encoder (isom, mp42, M4A , …).
  'video/mp4': (head) => ascii(head, 'ftyp', 4),
  'audio/mp4': (head) => ascii(head, 'ftyp', 4),
  // EBML header (WebM is a Matroska profile).
  'video/webm': (head) => startsWith(head, [0x1a, 0x45, 0xdf, 0xa3]),
  // An ID3v2 tag, or an MPEG audio frame sync (11 set bits) of layer III.
  'audio/mpeg': (head) =>
    ascii(head, 'ID3') ||
    (head.length >= 2 &&
      head[0] === 0xff &&
      (head[1] & 0xe0) === 0xe0 &&
      (head[1] & 0x06) === 0x02),
  'audio/ogg': (head) => ascii(head, 'OggS'),
};

/** True when the first bytes of a file are those of `contentType`. Unknown types never match. */
export function matchesContentType(head: Buffer, contentType: string): boolean {
  const check = SIGNATURES[contentType];
  return check !== undefined && check(head);
}

export interface Dimensions {
  width: number;
  height: number;
}

/** Image dimensions when the header carries them within the sniffed bytes (PNG, GIF); else null. */
export function dimensionsOf(head: Buffer, contentType: string): Dimensions | null {
  if (contentType === 'image/png' && head.length >= 24 && ascii(head, 'IHDR', 12)) {
    return { width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
  }
  if (contentType === 'image/gif' && head.length >= 10) {
    return { width: head.readUInt16LE(6), height: head.readUInt16LE(8) };
  }
  return null;
}
