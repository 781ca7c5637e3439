import type { BearerTokens, ErrorEnvelope, SuccessEnvelope } from '../../src/contract';
import { BaatCheetApiError, SdkErrorCode } from './errors';
import { SingleFlight } from './single-flight';
import type { TokenStore } from './tokens';

export const API_PREFIX = '/api/v1';

export type AuthMode = 'cookie' | 'bearer';

export type SessionEndReason = 'refresh_failed' | 'session_revoked' | 'signed_out';

export interface HttpOptions {
  baseUrl: string;
  mode: AuthMode;
  tokens: TokenStore;
  fetch: typeof fetch;
  headers: Record<string, string>;
  onSessionEnded: (reason: SessionEndReason, error?: BaatCheetApiError) => void;
}

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  /** false: a public endpoint (login, register…): no token, no refresh-and-retry on 401. */
  auth?: boolean;
  signal?: AbortSignal;
}

export interface ApiAnswer<T> {
  data: T;
  message: string;
  status: number;
  page?: { nextCursor: string | null };
}

/** 401 codes after which a refresh may help; anything else (REFRESH_TOKEN_REUSED…) would not. */
const REFRESHABLE = new Set(['TOKEN_EXPIRED', 'UNAUTHORIZED']);

/**
 * fetch + the envelope + authentication. Cookie mode sends `credentials: 'include'` and never
 * sees a token; bearer mode adds `Authorization` from the token store and
 * `X-Auth-Transport: bearer`. A 401 TOKEN_EXPIRED/UNAUTHORIZED on an authenticated call triggers
 * one refresh (shared by every caller that hits a 401 meanwhile) and one retry.
 */
export class HttpClient {
  private readonly refreshFlight = new SingleFlight<void>();
  /** Bumped by every successful refresh: a 401 for a request sent before it just retries. */
  private generation = 0;
  private refreshCount = 0;
  private ended = false;

  constructor(private readonly options: HttpOptions) {}

  get mode(): AuthMode {
    return this.options.mode;
  }

  get baseUrl(): string {
    return this.options.baseUrl;
  }

  /** How many refreshes this client performed (for diagnostics and tests). */
  get refreshes(): number {
    return this.refreshCount;
  }

  /** The session is live again (a new login/verify after it ended). */
  sessionStarted(): void {
    this.ended = false;
  }

  async request<T>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<ApiAnswer<T>> {
    const auth = options.auth ?? true;
    const generation = this.generation;
    try {
      return await this.send<T>(method, path, options, auth);
    } catch (error) {
      if (!auth || !this.isRefreshable(error)) throw error;
      if (this.generation === generation) await this.refresh();
      return this.send<T>(method, path, options, auth);
    }
  }

  /**
   * One refresh, however many callers ask at once. Resolves when new tokens are in place (bearer:
   * the store; cookie: the browser's jar). A definitive refusal ends the session.
   */
  refresh(): Promise<void> {
    return this.refreshFlight.run(async () => {
      const tokens = this.options.tokens.get();
      if (this.options.mode === 'bearer' && !tokens) {
        const error = new BaatCheetApiError(401, SdkErrorCode.NotAuthenticated, 'Not signed in');
        this.endSession('refresh_failed', error);
        throw error;
      }
      try {
        const answer = await this.send<{ tokens?: BearerTokens }>(
          'POST',
          '/auth/refresh',
          { body: this.options.mode === 'bearer' ? { refreshToken: tokens?.refreshToken } : {} },
          false,
        );
        if (this.options.mode === 'bearer') {
          if (!answer.data.tokens)
            throw new BaatCheetApiError(0, SdkErrorCode.BadResponse, 'No tokens in refresh answer');
          this.options.tokens.set(answer.data.tokens);
        }
        this.generation += 1;
        this.refreshCount += 1;
      } catch (error) {
        // Only the server saying no ends the session; a network blip or a 503 may pass.
        if (error instanceof BaatCheetApiError && error.status === 401) {
          this.endSession('refresh_failed', error);
        }
        throw error;
      }
    });
  }

  /** Clears local credentials and tells the app, once per session. */
  endSession(reason: SessionEndReason, error?: BaatCheetApiError): void {
    if (this.options.mode === 'bearer') this.options.tokens.set(null);
    if (this.ended) return;
    this.ended = true;
    this.options.onSessionEnded(reason, error);
  }

  /** Absolute URL of an API path (`/users/me` → `<base>/api/v1/users/me`). */
  url(path: string, query?: RequestOptions['query']): string {
    const url = new URL(`${this.options.baseUrl.replace(/\/+$/, '')}${API_PREFIX}${path}`);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  private isRefreshable(error: unknown): boolean {
    if (!(error instanceof BaatCheetApiError) || error.status !== 401) return false;
    if (!REFRESHABLE.has(error.code)) return false;
    return this.options.mode === 'cookie' || this.options.tokens.get() !== null;
  }

  private async send<T>(
    method: string,
    path: string,
    options: RequestOptions,
    auth: boolean,
  ): Promise<ApiAnswer<T>> {
    const headers: Record<string, string> = { Accept: 'application/json', ...this.options.headers };
    if (this.options.mode === 'bearer') {
      headers['X-Auth-Transport'] = 'bearer';
      const token = this.options.tokens.get()?.accessToken;
      if (auth && token) headers.Authorization = `Bearer ${token}`;
    }
    const hasBody = options.body !== undefined;
    if (hasBody) headers['Content-Type'] = 'application/json';
    let response: Response;
    try {
      response = await this.options.fetch(this.url(path, options.query), {
        method,
        headers,
        body: hasBody ? JSON.stringify(options.body) : undefined,
        credentials: this.options.mode === 'cookie' ? 'include' : 'omit',
        signal: options.signal,
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new BaatCheetApiError(0, SdkErrorCode.NetworkError, describe(error));
    }
    return parseAnswer<T>(response);
  }
}

async function parseAnswer<T>(response: Response): Promise<ApiAnswer<T>> {
  const requestId = response.headers.get('x-request-id');
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  if (response.ok && isSuccess<T>(body)) {
    return { data: body.data, message: body.message, status: response.status, page: body.page };
  }
  if (isError(body)) {
    throw new BaatCheetApiError(
      response.status,
      body.error.code,
      body.error.message,
      body.error.details ?? [],
      body.requestId ?? requestId,
      retryAfter(response),
    );
  }
  throw new BaatCheetApiError(
    response.status,
    response.ok ? SdkErrorCode.BadResponse : `HTTP_${response.status}`,
    `Unexpected answer (HTTP ${response.status})`,
    [],
    requestId,
    retryAfter(response),
  );
}

function isSuccess<T>(body: unknown): body is SuccessEnvelope<T> {
  return (
    typeof body === 'object' && body !== null && (body as { success?: unknown }).success === true
  );
}

function isError(body: unknown): body is ErrorEnvelope {
  if (typeof body !== 'object' || body === null) return false;
  const error = (body as { error?: unknown }).error;
  return (
    (body as { success?: unknown }).success === false &&
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'string'
  );
}

function retryAfter(response: Response): number | null {
  const value = response.headers.get('retry-after');
  if (value === null || !/^\d+$/.test(value)) return null;
  return Number(value);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : 'request failed';
}
