import * as http from 'node:http';
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
