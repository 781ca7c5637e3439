import type { MessageDto, SelfUserDto } from '../../src/contract';
import {
  AuthApi,
  ConversationsApi,
  MediaApi,
  MessagesApi,
  UsersApi,
  type SendMessageInput,
} from './api';
import { newClientMessageId, type BackoffOptions } from './backoff';
import { ConversationStream, type ConversationStreamOptions } from './catch-up';
import { BaatCheetApiError, SdkErrorCode } from './errors';
import { HttpClient, type AuthMode, type SessionEndReason } from './http';
import { Realtime, type RealtimeOptions, type ServerEvent, type ServerListener } from './realtime';
import { emitUntilAcked, type RetryOptions } from './send';
import { MemoryTokenStore, type AuthTokens, type TokenStore } from './tokens';

export interface BaatCheetClientOptions {
  /** Where the server is, without the API prefix: `https://chat.example.com`. */
  baseUrl: string;
  /**
   * `cookie` (default; browsers): httpOnly cookies, `credentials: 'include'`, no token in JS.
   * `bearer` (mobile, Node): tokens in the body, kept by `tokenStore`.
   */
  mode?: AuthMode;
  /** Bearer mode: where tokens live (default: in memory, seeded with `tokens`, persisted via `onTokens`). */
  tokenStore?: TokenStore;
  tokens?: AuthTokens | null;
  onTokens?: (tokens: AuthTokens | null) => void;
  /** The session is over (refresh refused, session revoked, signed out): show the login screen. */
  onSessionEnded?: (reason: SessionEndReason, error?: BaatCheetApiError) => void;
  fetch?: typeof fetch;
  /** Added to every HTTP request (e.g. a User-Agent in Node). */
  headers?: Record<string, string>;
  socket?: RealtimeOptions;
  /** Defaults for `sendMessage`. */
  send?: { ackTimeoutMs?: number; maxAttempts?: number; backoff?: BackoffOptions };
}

export type SendMessageOptions = Pick<
  RetryOptions,
  'ackTimeoutMs' | 'maxAttempts' | 'signal' | 'backoff'
>;

export type TrackOptions = Omit<ConversationStreamOptions, 'sleep'>;

/**
 * The Baat Cheet client: typed REST (`auth`, `users`, `conversations`, `messages`, `media`),
 * typed realtime events (`on`), sends that retry until acked, and per-conversation ordered
 * streams that catch up after every reconnect (`track`).
 */
export class BaatCheetClient {
  readonly auth: AuthApi;
  readonly users: UsersApi;
  readonly conversations: ConversationsApi;
  readonly messages: MessagesApi;
  readonly media: MediaApi;
  readonly realtime: Realtime;

  private readonly http: HttpClient;
  private readonly tokenStore: TokenStore;
  private readonly streams = new Map<string, Set<ConversationStream>>();
  /** Aborted (and replaced) when the session ends, so waiting sends fail instead of hanging. */
  private sends = new AbortController();
  private currentUser: SelfUserDto | null = null;
  private closed = false;

  constructor(private readonly options: BaatCheetClientOptions) {
    const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.tokenStore =
      options.tokenStore ?? new MemoryTokenStore(options.tokens ?? null, options.onTokens);
    this.http = new HttpClient({
      baseUrl: options.baseUrl,
      mode: options.mode ?? 'cookie',
      tokens: this.tokenStore,
      fetch: fetchImpl,
      headers: options.headers ?? {},
      onSessionEnded: (reason, error) => this.sessionEnded(reason, error),
    });
    const seen = (user: SelfUserDto): void => {
      this.currentUser = user;
    };
    this.auth = new AuthApi(this.http, this.tokenStore, seen, () =>
      this.http.endSession('signed_out'),
    );
    this.users = new UsersApi(this.http, seen);
    this.conversations = new ConversationsApi(
      this.http,
      async () => (this.currentUser ?? (await this.users.me())).id,
    );
    this.messages = new MessagesApi(this.http);
    this.media = new MediaApi(this.http, fetchImpl);
    this.realtime = new Realtime(options.baseUrl, this.http, this.tokenStore, options.socket);
    this.realtime.on('message:new', (message) => {
      for (const stream of this.streams.get(message.conversationId) ?? []) stream.live(message);
    });
    this.realtime.onConnected(() => {
      for (const set of this.streams.values()) for (const stream of set) void stream.catchUp();
    });
  }

  /** The signed-in user, once login, verifyOtp or users.me() has run. */
  get user(): SelfUserDto | null {
    return this.currentUser;
  }

  /** Bearer mode: the current tokens (null in cookie mode, where JS never sees them). */
  get tokens(): AuthTokens | null {
    return this.http.mode === 'bearer' ? this.tokenStore.get() : null;
  }

  /** How many token refreshes this client has performed. */
  get refreshCount(): number {
    return this.http.refreshes;
  }

  /** Opens the socket (after signing in). Reconnects are automatic from then on. */
  connect(): Promise<void> {
    return this.realtime.connect();
  }

  disconnect(): void {
    this.realtime.disconnect();
  }

  on<E extends ServerEvent>(event: E, listener: ServerListener<E>): () => void {
    return this.realtime.on(event, listener);
  }

  /**
   * Sends over the socket and resolves with the stored message. The clientMessageId is chosen
   * once (a UUID unless given) and reused by every retry: ack timeouts, dropped sockets and
   * retryable error acks are retried with backoff until the server acks; validation and
   * permission errors reject at once.
   */
  sendMessage(input: SendMessageInput, options: SendMessageOptions = {}): Promise<MessageDto> {
    if (this.closed) {
      return Promise.reject(new BaatCheetApiError(0, SdkErrorCode.ClientClosed, 'Client closed'));
    }
    if (this.realtime.state === 'idle') {
      return Promise.reject(
        new BaatCheetApiError(0, SdkErrorCode.NotConnected, 'Call connect() before sending'),
      );
    }
    const {
      conversationId,
      clientMessageId = newClientMessageId(),
      body,
      replyToId,
      attachmentIds,
    } = input;
    const payload = {
      conversationId,
      clientMessageId,
      ...(body !== undefined ? { body } : {}),
      ...(replyToId !== undefined ? { replyToId } : {}),
      ...(attachmentIds !== undefined ? { attachmentIds } : {}),
    };
    const signal = options.signal
      ? AbortSignal.any([options.signal, this.sends.signal])
      : this.sends.signal;
    return emitUntilAcked(this.realtime, 'message:send', payload, {
      ...this.options.send,
      ...options,
      signal,
    });
  }

  /** Read receipt over the socket: everything up to `seq` is read. */
  markRead(conversationId: string, seq: number): Promise<{ lastReadSeq: number }> {
    return this.realtime.request('message:read', { conversationId, seq });
  }

  /** Typing indicator; repeat `true` every few seconds while typing (it expires after 5 s). */
  async setTyping(conversationId: string, typing: boolean): Promise<void> {
    await this.realtime.request(typing ? 'typing:start' : 'typing:stop', { conversationId });
  }

  /**
   * Follows one conversation: `onMessage` gets every message after `afterSeq` exactly once, in
   * seq order, with no gaps: live events, plus `GET …/messages?after=` pages after every
   * (re)connect. Call `stop()` when the view closes.
   */
  track(conversationId: string, options: TrackOptions): ConversationStream {
    const stream = new ConversationStream(
      conversationId,
      async (afterSeq, limit) => this.messages.list(conversationId, { after: afterSeq, limit }),
      options,
    );
    let set = this.streams.get(conversationId);
    if (!set) {
      set = new Set();
      this.streams.set(conversationId, set);
    }
    set.add(stream);
    const stop = stream.stop.bind(stream);
    stream.stop = () => {
      stop();
      set.delete(stream);
    };
    if (this.realtime.connected) void stream.catchUp();
    return stream;
  }

  /** Stops everything: socket closed, streams stopped, pending sends rejected with CLIENT_CLOSED. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sends.abort(new BaatCheetApiError(0, SdkErrorCode.ClientClosed, 'Client closed'));
    this.realtime.close();
    for (const set of this.streams.values()) for (const stream of [...set]) stream.stop();
    this.streams.clear();
  }

  /** Everything of the session stops; the client can sign in and connect() again. */
  private sessionEnded(reason: SessionEndReason, error?: BaatCheetApiError): void {
    this.currentUser = null;
    this.sends.abort(new BaatCheetApiError(0, SdkErrorCode.SessionEnded, 'Session ended'));
    this.sends = new AbortController();
    this.realtime.endSession();
    for (const set of this.streams.values()) for (const stream of [...set]) stream.stop();
    this.streams.clear();
    if (!this.closed) this.options.onSessionEnded?.(reason, error);
  }
}

export function createClient(options: BaatCheetClientOptions): BaatCheetClient {
  return new BaatCheetClient(options);
}
