import { randomBytes } from 'node:crypto';
import request, { type Response } from 'supertest';

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
