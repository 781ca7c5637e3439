import * as http from 'node:http';
import * as zlib from 'node:zlib';
import type { Readable } from 'node:stream';
import request from 'supertest';

/** Minimal valid-looking file heads for the magic-byte checks. */
export const PNG_1x1 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
export const PDF_HEAD = Buffer.from(
  '%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n',
  'latin1',
);
/** A Windows executable's first bytes ("MZ"), to be declared as an image. */
export const EXE_HEAD = Buffer.concat([
  Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'latin1'),
  Buffer.alloc(120, 0),
]);

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  json: () => { success: boolean; data?: unknown; error?: { code: string; message: string } };
}

/**
 * A PUT/GET over plain node:http, so a test controls the body stream and Content-Length, and still
 * reads an answer the server sends before the upload finished (it may then close the socket).
 */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer | Readable } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers });
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          json: () => JSON.parse(body.toString('utf8')) as ReturnType<RawResponse['json']>,
        });
      });
    });
    // EPIPE / ECONNRESET while still sending is expected once the server answered early.
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    const body = options.body;
    if (body === undefined) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else {
      body.on('error', (error) => req.destroy(error));
      body.pipe(req);
    }
  });
}

export interface UploadIntent {
  mediaId: string;
  upload: { method: string; url: string; headers?: Record<string, string>; expiresAt: string };
}

export async function createIntent(
  baseUrl: string,
  accessToken: string,
  body: Record<string, unknown>,
): Promise<UploadIntent> {
  const res = await request(baseUrl)
    .post('/api/v1/media/uploads')
    .set('Authorization', `Bearer ${accessToken}`)
    .send(body);
  if (res.status !== 201)
    throw new Error(`intent failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data as UploadIntent;
}

export function putFile(
  intent: UploadIntent,
  body: Buffer | Readable,
  headers: Record<string, string> = {},
) {
  return rawRequest(intent.upload.url, {
    method: 'PUT',
    headers: {
      'Content-Type': intent.upload.headers?.['Content-Type'] ?? 'application/octet-stream',
      ...(Buffer.isBuffer(body) ? { 'Content-Length': String(body.length) } : {}),
      ...headers,
    },
    body,
  });
}

export function completeUpload(baseUrl: string, accessToken: string, mediaId: string) {
  return request(baseUrl)
    .post(`/api/v1/media/uploads/${mediaId}/complete`)
    .set('Authorization', `Bearer ${accessToken}`)
    .send();
}

export function getMedia(baseUrl: string, accessToken: string, mediaId: string) {
  return request(baseUrl)
    .get(`/api/v1/media/${mediaId}`)
    .set('Authorization', `Bearer ${accessToken}`);
}

/** A real image of the given size, made with sharp (a gradient-free solid colour compresses well). */
export async function imageOf(
  format: 'png' | 'jpeg' | 'webp',
  width: number,
  height: number,
): Promise<Buffer> {
  const { default: sharp } = await import('sharp');
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 40, b: 90 } } })
    .toFormat(format)
    .toBuffer();
}

/**
 * A PNG whose header claims `width`×`height` pixels (CRC fixed up) over the pixel data of a 1×1
 * image: a decompression bomb as far as any decoder reading the header is concerned.
 */
export function pngClaiming(width: number, height: number): Buffer {
  const png = Buffer.from(PNG_1x1);
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  // The IHDR chunk's CRC covers its type and data (bytes 12..28) and sits right after them.
  png.writeUInt32BE(zlib.crc32(png.subarray(12, 29)), 29);
  return png;
}

/** A PNG signature and header followed by garbage: passes the magic-byte check, cannot decode. */
export function corruptPng(): Buffer {
  return Buffer.concat([PNG_1x1.subarray(0, 33), Buffer.alloc(400, 0x5a)]);
}

export interface UploadedMedia {
  mediaId: string;
  /** The GET /media/:id (or completion) answer. */
  data: { url: string | null; thumbnailUrl: string | null; status: string };
}

/** Intent, upload and completion in one: a ready media item owned by the token's user. */
export async function uploadReady(
  baseUrl: string,
  accessToken: string,
  file: { body: Buffer; contentType: string; purpose: 'avatar' | 'attachment'; filename?: string },
): Promise<UploadedMedia> {
  const intent = await createIntent(baseUrl, accessToken, {
    filename: file.filename ?? 'file',
    contentType: file.contentType,
    size: file.body.length,
    purpose: file.purpose,
  });
  const put = await putFile(intent, file.body);
  if (put.status !== 200) throw new Error(`upload failed: ${put.status} ${put.body.toString()}`);
  const done = await completeUpload(baseUrl, accessToken, intent.mediaId);
  if (done.status !== 200) {
    throw new Error(`completion failed: ${done.status} ${JSON.stringify(done.body)}`);
  }
  return { mediaId: intent.mediaId, data: done.body.data as UploadedMedia['data'] };
}

/** GETs a media URL as handed out (absolute, or root-relative on `baseUrl`). */
export function fetchMediaUrl(baseUrl: string, url: string): Promise<RawResponse> {
  return rawRequest(url.startsWith('/') ? `${baseUrl}${url}` : url);
}
