import { BaatCheetApiError } from './errors';
import { HttpClient, type SessionEndReason } from './http';
import { MemoryTokenStore, type AuthTokens } from './tokens';

const tokens = (n: number): AuthTokens => ({
  accessToken: `access-${n}`,
  refreshToken: `refresh-${n}`,
  accessTokenExpiresAt: new Date(Date.now() + 60_000).toISOString(),
  refreshTokenExpiresAt: new Date(Date.now() + 600_000).toISOString(),
});

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'x-request-id': 'req-1' },
  });
}

const expired = (): Response =>
  json(401, {
    success: false,
    error: { code: 'TOKEN_EXPIRED', message: 'Access token expired' },
    requestId: 'req-1',
  });

/**
 * A fake server: API calls accept only the current access token (checked on arrival; `/slow`
 * answers 80 ms later); `/auth/refresh` rotates, slowly, so concurrent callers pile up behind it,
 * and refuses any refresh token but the current one.
 */
function fakeServer(options: { refreshFails?: boolean } = {}) {
  let generation = 1;
  let access = 'access-1';
  let refresh = 'refresh-1';
  const calls: { path: string; auth: string | null; body: unknown }[] = [];
  const fetchImpl = jest.fn(async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const headers = new Headers(init?.headers);
    const body: unknown = init?.body ? JSON.parse(init.body as string) : undefined;
    calls.push({ path: url.pathname, auth: headers.get('authorization'), body });
    if (url.pathname === '/api/v1/auth/refresh') {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const presented = (body as { refreshToken?: string }).refreshToken ?? '';
      if (options.refreshFails || presented !== refresh) {
        return json(401, {
          success: false,
          error: { code: 'REFRESH_TOKEN_REUSED', message: 'reused' },
          requestId: 'req-2',
        });
      }
      generation += 1;
      access = `access-${generation}`;
      refresh = `refresh-${generation}`;
      return json(200, { success: true, message: 'ok', data: { tokens: tokens(generation) } });
    }
    const valid = headers.get('authorization') === `Bearer ${access}`;
    if (url.pathname.endsWith('/slow')) await new Promise((resolve) => setTimeout(resolve, 80));
    if (!valid) return expired();
    return json(200, { success: true, message: 'ok', data: { path: url.pathname } });
  });
  return {
    fetchImpl,
    calls,
    refreshCalls: () => calls.filter((c) => c.path === '/api/v1/auth/refresh').length,
    expireAccess: () => {
      access = 'expired';
    },
  };
}

function client(server: ReturnType<typeof fakeServer>, initial: AuthTokens | null = tokens(1)) {
  const ended: SessionEndReason[] = [];
  const store = new MemoryTokenStore(initial);
  const http = new HttpClient({
    baseUrl: 'http://api.test',
    mode: 'bearer',
    tokens: store,
    fetch: server.fetchImpl,
    headers: {},
    onSessionEnded: (reason) => ended.push(reason),
  });
  return { http, store, ended };
}

describe('HttpClient refresh', () => {
  it('unwraps the envelope and sends the bearer token', async () => {
    const server = fakeServer();
    const { http } = client(server);
    const answer = await http.request<{ path: string }>('GET', '/users/me');
    expect(answer.data).toEqual({ path: '/api/v1/users/me' });
    expect(server.calls[0].auth).toBe('Bearer access-1');
  });

  it('runs one refresh for many concurrent 401s, then retries each call once', async () => {
    const server = fakeServer();
    // The server already rotated past access-1 (as if it expired): every call gets a 401 first.
    const { http, store, ended } = client(server, { ...tokens(1), accessToken: 'stale' });
    const results = await Promise.all(
      Array.from({ length: 8 }, () => http.request<{ path: string }>('GET', '/users/me')),
    );
    expect(results.every((r) => r.data.path === '/api/v1/users/me')).toBe(true);
    expect(server.refreshCalls()).toBe(1);
    expect(http.refreshes).toBe(1);
    expect(store.get()?.accessToken).toBe('access-2');
    // 8 first tries, 1 refresh, 8 retries.
    expect(server.calls).toHaveLength(17);
    expect(ended).toEqual([]);
  });

  it('does not refresh again for a 401 that answers a request sent before the last refresh', async () => {
    const server = fakeServer();
    const { http } = client(server);
    server.expireAccess();
    // The slow call's 401 arrives after the fast call's refresh completed: it just retries.
    const slow = http.request<{ path: string }>('GET', '/slow');
    const fast = http.request<{ path: string }>('GET', '/users/me');
    const [a, b] = await Promise.all([slow, fast]);
    expect([a.data.path, b.data.path]).toEqual(['/api/v1/slow', '/api/v1/users/me']);
    expect(server.refreshCalls()).toBe(1);
    expect(server.calls.filter((c) => c.path === '/api/v1/slow').map((c) => c.auth)).toEqual([
      'Bearer access-1',
      'Bearer access-2',
    ]);
  });

  it('ends the session once when the refresh is refused, and rejects every waiting call', async () => {
    const server = fakeServer({ refreshFails: true });
    const { http, store, ended } = client(server, { ...tokens(1), accessToken: 'stale' });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 4 }, () => http.request('GET', '/users/me')),
    );
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    const reason = (outcomes[0] as PromiseRejectedResult).reason as BaatCheetApiError;
    expect(reason).toBeInstanceOf(BaatCheetApiError);
    expect(reason.code).toBe('REFRESH_TOKEN_REUSED');
    expect(reason.requestId).toBe('req-2');
    expect(server.refreshCalls()).toBe(1);
    expect(ended).toEqual(['refresh_failed']);
    expect(store.get()).toBeNull();
  });

  it('does not refresh or retry public calls', async () => {
    const server = fakeServer();
    const { http } = client(server, { ...tokens(1), accessToken: 'stale' });
    await expect(
      http.request('POST', '/auth/login', { auth: false, body: {} }),
    ).rejects.toMatchObject({
      status: 401,
      code: 'TOKEN_EXPIRED',
    });
    expect(server.refreshCalls()).toBe(0);
  });

  it('reports a network failure as NETWORK_ERROR and a non-JSON answer with its status', async () => {
    const failing = jest.fn(() => Promise.reject(new TypeError('fetch failed')));
    const html = jest.fn(() =>
      Promise.resolve(new Response('<h1>Bad gateway</h1>', { status: 502 })),
    );
    for (const [impl, status, code] of [
      [failing, 0, 'NETWORK_ERROR'],
      [html, 502, 'HTTP_502'],
    ] as const) {
      const http = new HttpClient({
        baseUrl: 'http://api.test',
        mode: 'cookie',
        tokens: new MemoryTokenStore(),
        fetch: impl,
        headers: {},
        onSessionEnded: () => undefined,
      });
      await expect(http.request('GET', '/users/me')).rejects.toMatchObject({ status, code });
    }
  });
});
