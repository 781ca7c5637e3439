import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a local-driver URL authorises: one operation on one key, with its limits baked in. */
export type SignedGrant =
  | { op: 'put'; key: string; contentType: string; size: number; exp: number }
  | { op: 'get'; key: string; contentType: string; filename: string; exp: number };

export type VerifyResult =
  | { ok: true; grant: SignedGrant; signature: string }
  | { ok: false; reason: 'invalid' | 'expired' };

/**
 * `base64url(json).base64url(hmac-sha256)`. The token is the whole authorisation of the
 * local upload and download routes, so it binds the key, the content type and the size.
 */
export function signGrant(grant: SignedGrant, secret: string): string {
  const payload = Buffer.from(JSON.stringify(grant), 'utf8').toString('base64url');
  return `${payload}.${mac(payload, secret)}`;
}

export function verifyGrant(
  token: string,
  secret: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): VerifyResult {
  const parts = token.split('.');
  if (parts.length !== 2 || token.length > 4096) return { ok: false, reason: 'invalid' };
  const [payload, signature] = parts;
  const expected = Buffer.from(mac(payload, secret), 'base64url');
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'invalid' };
  }
  let grant: SignedGrant;
  try {
    grant = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as SignedGrant;
  } catch {
    return { ok: false, reason: 'invalid' };
  }
  if (typeof grant.exp !== 'number' || typeof grant.key !== 'string') {
    return { ok: false, reason: 'invalid' };
  }
  if (grant.exp <= nowSeconds) return { ok: false, reason: 'expired' };
  return { ok: true, grant, signature: expected.toString('base64url') };
}

function mac(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(`media-url.v1.${payload}`).digest('base64url');
}
