import { randomBytes } from 'node:crypto';
import type { ParsedMail } from 'mailparser';
import { Client } from 'pg';
import request, { type Response } from 'supertest';
import { extractOtp, sentTo, type TestSmtpServer } from './smtp';
export { extractOtp } from './smtp';

export const ALLOWED_ORIGIN = 'http://localhost:5173';

export interface Credentials {
  username: string;
  email: string;
  password: string;
}

export interface BearerSession {
  userId: string;
  accessToken: string;
  refreshToken: string;
  credentials: Credentials;
}

export interface CookieSession {
  userId: string;
  /** `name=value` pairs to send back as a Cookie header. */
  cookies: Record<string, string>;
  credentials: Credentials;
}

/** A fresh, valid identity (unique per call). */
export function newCredentials(overrides: Partial<Credentials> = {}): Credentials {
  const id = randomBytes(5).toString('hex');
  return {
    username: `user_${id}`,
    email: `user.${id}@example.com`,
    password: `correct horse ${id} battery`,
    ...overrides,
  };
}

/** Reads `name=value` pairs out of Set-Cookie headers. */
export function cookiesFrom(res: Response): Record<string, string> {
  const header = res.headers['set-cookie'] as unknown as string[] | string | undefined;
  const list = Array.isArray(header) ? header : header ? [header] : [];
  const cookies: Record<string, string> = {};
  for (const line of list) {
    const [pair] = line.split(';');
    const index = pair.indexOf('=');
    cookies[pair.slice(0, index).trim()] = pair.slice(index + 1);
  }
  return cookies;
}

export function cookieHeader(cookies: Record<string, string>): string {
  return Object.entries(cookies)
    .filter(([, value]) => value !== '')
    .map(([name, value]) => `${name}=${value}`)
    .join('; ');
}

/** Something that can hand back the OTP mailed to an address (the test SMTP server or the mail folder). */
export type OtpReader = (email: string) => Promise<string>;

export async function register(url: string, credentials: Credentials): Promise<Response> {
  return request(url).post('/api/v1/auth/register').send(credentials);
}

/** Registers and verifies through the real mail path; returns a bearer session. */
export async function signUpBearer(
  url: string,
  readOtp: OtpReader,
  overrides: Partial<Credentials> = {},
): Promise<BearerSession> {
  const credentials = newCredentials(overrides);
  const registered = await register(url, credentials);
  if (registered.status !== 202)
    throw new Error(`register failed: ${registered.status} ${JSON.stringify(registered.body)}`);
  const otp = await readOtp(credentials.email);
  const verified = await request(url)
    .post('/api/v1/auth/verify-otp')
    .set('X-Auth-Transport', 'bearer')
    .send({ email: credentials.email, otp });
  if (verified.status !== 201)
    throw new Error(`verify failed: ${verified.status} ${JSON.stringify(verified.body)}`);
  return {
    userId: verified.body.data.user.id,
    accessToken: verified.body.data.tokens.accessToken,
    refreshToken: verified.body.data.tokens.refreshToken,
    credentials,
  };
}

export async function loginBearer(url: string, login: string, password: string): Promise<Response> {
  return request(url)
    .post('/api/v1/auth/login')
    .set('X-Auth-Transport', 'bearer')
    .send({ email: login, password });
}

export async function loginCookie(url: string, login: string, password: string): Promise<Response> {
  return request(url)
    .post('/api/v1/auth/login')
    .set('Origin', ALLOWED_ORIGIN)
    .send({ email: login, password });
}

/** Signs up (bearer) then signs in with cookies: a web session for the same user. */
export async function signUpCookie(
  url: string,
  readOtp: OtpReader,
  overrides: Partial<Credentials> = {},
): Promise<CookieSession> {
  const bearer = await signUpBearer(url, readOtp, overrides);
  const res = await loginCookie(url, bearer.credentials.email, bearer.credentials.password);
  if (res.status !== 200)
    throw new Error(`cookie login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { userId: bearer.userId, cookies: cookiesFrom(res), credentials: bearer.credentials };
}

export interface MailQuery {
  /** Only messages at or after this index of `smtp.messages` (take `smtp.messages.length` before acting). */
  since?: number;
  subject?: RegExp;
  timeoutMs?: number;
}

/** The first message to `email` (after `since`, with a matching subject) the test SMTP server has or gets. */
export function mailTo(
  smtp: TestSmtpServer,
  email: string,
  { since = 0, subject, timeoutMs = 10_000 }: MailQuery = {},
): Promise<ParsedMail> {
  const to = sentTo(email);
  return smtp.waitForMessage(
    (mail) =>
      smtp.messages.indexOf(mail) >= since &&
      to(mail) &&
      (!subject || subject.test(mail.subject ?? '')),
    timeoutMs,
  );
}

/** Every message the test SMTP server accepted for `email`. */
export function mailsTo(smtp: TestSmtpServer, email: string): ParsedMail[] {
  return smtp.messages.filter(sentTo(email));
}

/** An OtpReader over the test SMTP server (the code of the first mail to the address). */
export function smtpOtpReader(smtp: TestSmtpServer): OtpReader {
  return async (email) => extractOtp(await mailTo(smtp, email));
}

/** Rows of the users table whose email (exact) or username (any case) is `login`; PostgreSQL only. */
export async function countUsers(databaseUrl: string, login: string): Promise<number> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      'SELECT count(*) AS n FROM users WHERE email = $1 OR lower(username) = lower($1)',
      [login],
    );
    return Number(rows[0].n);
  } finally {
    await client.end();
  }
}

/** A request body no endpoint may answer with a 500: raw JSON text, with the status it must get. */
export interface HostileBody {
  name: string;
  raw: string;
  status: number;
  code: string;
}

/** Prototype-pollution keys, a body over the 100kb JSON limit and absurd nesting, around `valid`. */
export function hostileBodies(valid: Record<string, unknown>): HostileBody[] {
  const [first, ...others] = Object.keys(valid);
  const rest = others
    .map((key) => `,${JSON.stringify(key)}:${JSON.stringify(valid[key])}`)
    .join('');
  /** `valid` with the raw JSON text `value` in place of its first field. */
  const withFirst = (value: string): string => `{${JSON.stringify(first)}:${value}${rest}}`;
  const json = JSON.stringify(valid);
  const withKey = (key: string): string =>
    `{${JSON.stringify(key)}:{"isAdmin":true},${json.slice(1)}`;
  const invalid = { status: 422, code: 'VALIDATION_FAILED' };
  return [
    { name: '__proto__ key', raw: withKey('__proto__'), ...invalid },
    { name: 'constructor key', raw: withKey('constructor'), ...invalid },
    { name: 'nested __proto__ key', raw: withFirst('{"__proto__":{"polluted":1}}'), ...invalid },
    {
      name: '1 MB string',
      raw: withFirst(JSON.stringify('x'.repeat(1024 * 1024))),
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    },
    {
      name: 'deeply nested object',
      raw: withFirst(`${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`),
      ...invalid,
    },
    {
      name: 'deeply nested array',
      raw: withFirst(`${'['.repeat(20_000)}${']'.repeat(20_000)}`),
      ...invalid,
    },
  ];
}

/** POST /auth/refresh in bearer mode. */
export async function refreshBearer(url: string, refreshToken: string): Promise<Response> {
  return request(url)
    .post('/api/v1/auth/refresh')
    .set('X-Auth-Transport', 'bearer')
    .send({ refreshToken });
}

/** GET /users/me with a bearer access token: the quickest "is this token alive?" probe. */
export async function meBearer(url: string, accessToken: string): Promise<Response> {
  return request(url).get('/api/v1/users/me').set('Authorization', `Bearer ${accessToken}`);
}

/** The raw Set-Cookie lines of a response. */
export function setCookieLines(res: Response): string[] {
  const header = res.headers['set-cookie'] as unknown as string[] | string | undefined;
  return Array.isArray(header) ? header : header ? [header] : [];
}
