import request, { type Test } from 'supertest';
import { signUpBearer, smtpOtpReader, type BearerSession, type Credentials } from './auth';
import type { TestSmtpServer } from './smtp';

/** Requests as one signed-in user (bearer transport). */
export interface Client {
  readonly id: string;
  readonly username: string;
  readonly session: BearerSession;
  get(path: string): Test;
  post(path: string, body?: object): Test;
  patch(path: string, body?: object): Test;
  delete(path: string): Test;
}

export function clientFor(url: string, session: BearerSession): Client {
  const auth = (test: Test): Test => test.set('Authorization', `Bearer ${session.accessToken}`);
  return {
    id: session.userId,
    username: session.credentials.username,
    session,
    get: (path) => auth(request(url).get(path)),
    post: (path, body) => auth(request(url).post(path)).send(body ?? {}),
    patch: (path, body) => auth(request(url).patch(path)).send(body ?? {}),
    delete: (path) => auth(request(url).delete(path)),
  };
}

/** Signs up a user through the real register + OTP flow and returns a client for them. */
export async function signUpClient(
  url: string,
  smtp: TestSmtpServer,
  overrides: Partial<Credentials> = {},
): Promise<Client> {
  return clientFor(url, await signUpBearer(url, smtpOtpReader(smtp), overrides));
}

/** `count` users, `concurrency` sign-ups at a time; `usernameOf(i)` names them if given. */
export async function signUpClients(
  url: string,
  smtp: TestSmtpServer,
  count: number,
  usernameOf?: (index: number) => string,
  concurrency = 5,
): Promise<Client[]> {
  const clients: Client[] = new Array<Client>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next;
      next += 1;
      clients[index] = await signUpClient(
        url,
        smtp,
        usernameOf ? { username: usernameOf(index) } : {},
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return clients;
}

/** Follows `page.nextCursor` from the first page to the last; returns every page's `data`. */
export async function collectPages<T>(
  fetchPage: (cursor: string | undefined) => Test,
  maxPages = 100,
): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | undefined;
  for (let i = 0; i < maxPages; i += 1) {
    const res = await fetchPage(cursor);
    if (res.status !== 200) throw new Error(`page ${i}: ${res.status} ${JSON.stringify(res.body)}`);
    pages.push(res.body.data as T[]);
    cursor = res.body.page.nextCursor ?? undefined;
    if (!cursor) return pages;
  }
  throw new Error(`more than ${maxPages} pages`);
}
