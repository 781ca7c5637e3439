import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import type { AppConfig } from '../../src/config/app-config';

/**
 * Hand-made JWTs for attack tests: every byte is ours, so a test can forge exactly the header,
 * payload and signature it wants (alg none, wrong typ, tampered claims, foreign keys…).
 */

export function base64url(input: string | Buffer): string {
  return Buffer.from(input).toString('base64url');
}

export function hs256(data: string, key: string | Buffer): string {
  return createHmac('sha256', key).update(data).digest('base64url');
}

/** `header.payload.signature`, HS256-signed with `key`, with the header and payload given verbatim. */
export function signJwt(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key: string | Buffer,
): string {
  const data = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  return `${data}.${hs256(data, key)}`;
}

/** An unsigned token (`alg` of your choice, e.g. "none"), with or without the trailing dot. */
export function unsignedJwt(
  alg: string,
  payload: Record<string, unknown>,
  trailingDot = true,
): string {
  const data = `${base64url(JSON.stringify({ alg, typ: 'at+jwt' }))}.${base64url(JSON.stringify(payload))}`;
  return trailingDot ? `${data}.` : data;
}

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signature: string;
}

/** Reads a JWT without checking it. */
export function decodeJwt(token: string): DecodedJwt {
  const [header, payload, signature] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >,
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >,
    signature,
  };
}

/** The refresh-token key the app derives from its access secret (same HKDF as TokenService). */
export function refreshKeyOf(config: AppConfig): Buffer {
  return Buffer.from(
    hkdfSync('sha256', config.auth.accessSecret, 'baat-cheet', 'refresh-token signing key v1', 32),
  );
}

/** Claims of a valid access token for `userId`/`sessionId`; override or drop (undefined) any. */
export function accessClaims(
  config: AppConfig,
  userId: string,
  sessionId: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    sub: userId,
    sid: sessionId,
    jti: randomBytes(16).toString('base64url'),
    iat: now,
    exp: now + 600,
    iss: config.auth.issuer,
    aud: config.auth.audience,
    ...overrides,
  };
  for (const key of Object.keys(claims)) if (claims[key] === undefined) delete claims[key];
  return claims;
}

/** A correctly signed access token (real secret, HS256, typ at+jwt) unless the overrides say otherwise. */
export function forgeAccessToken(
  config: AppConfig,
  userId: string,
  sessionId: string,
  overrides: {
    claims?: Record<string, unknown>;
    header?: Record<string, unknown>;
    key?: string;
  } = {},
): string {
  const header: Record<string, unknown> = { alg: 'HS256', typ: 'at+jwt', ...overrides.header };
  for (const key of Object.keys(header)) if (header[key] === undefined) delete header[key];
  return signJwt(
    header,
    accessClaims(config, userId, sessionId, overrides.claims),
    overrides.key ?? config.auth.accessSecret,
  );
}
