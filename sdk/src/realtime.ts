import { io, type Socket } from 'socket.io-client';
import {
  SERVER_TO_CLIENT_EVENTS,
  type AckAnswer,
  type ClientToServerEvents,
  type ConnectErrorData,
  type ServerToClientEvents,
} from '../../src/contract';
import { abortReason, backoffDelay, type BackoffOptions } from './backoff';
import { BaatCheetApiError, SdkErrorCode } from './errors';
import type { HttpClient } from './http';
import type { AckChannel, AckDataOf, ClientEvent, PayloadOf } from './send';
import type { TokenStore } from './tokens';

export type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
export type ServerEvent = keyof ServerToClientEvents;
export type ServerListener<E extends ServerEvent> = ServerToClientEvents[E];

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface RealtimeOptions {
  /** Default ['websocket'] (no sticky sessions needed behind a load balancer). */
  transports?: ('websocket' | 'polling')[];
  /** Socket.IO path (default /socket.io). */
  path?: string;
  /** Handshake headers; Node only (browsers ignore them). */
  extraHeaders?: Record<string, string>;
  /** Bearer mode: refresh the socket's token this long before it expires (default 60 s, at most a third of its life). */
  tokenRefreshLeadMs?: number;
  /** Backoff of the reconnects the SDK drives itself (after a server-side disconnect or a refused handshake). */
  reconnectBackoff?: BackoffOptions;
}

/** Handshake refusals a token refresh can cure. */
const AUTH_CODES = new Set(['UNAUTHORIZED', 'TOKEN_EXPIRED']);

/**
 * The Socket.IO connection: typed events, reconnects (Socket.IO's own after transport loss; ours,
 * after a refresh when needed, after a server-side disconnect or a refused handshake), and in
 * bearer mode `auth:refresh` before the socket's token expires.
 */
export class Realtime implements AckChannel {
  private socket: ChatSocket | null = null;
  private stateNow: ConnectionState = 'idle';
  private readonly listeners = new Map<ServerEvent, Set<(...args: never[]) => void>>();
  private readonly stateListeners = new Set<(state: ConnectionState) => void>();
  private readonly connectedListeners = new Set<() => void>();
  private waiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private reconnectAttempts = 0;
  /** Expiry (ms) of the access token the socket is authenticated with (bearer mode). */
  private socketTokenExpiresAt = 0;

  constructor(
    private readonly baseUrl: string,
    private readonly http: HttpClient,
    private readonly tokens: TokenStore,
    private readonly options: RealtimeOptions = {},
  ) {}

  get state(): ConnectionState {
    return this.stateNow;
  }

  get connected(): boolean {
    return this.socket?.connected ?? false;
  }

  /** The underlying socket (for what the SDK does not wrap); null before `connect()`. */
  get raw(): ChatSocket | null {
    return this.socket;
  }

  /** Connects (or waits for the connection under way). Rejects if the session has ended. */
  connect(): Promise<void> {
    if (this.stateNow === 'closed') {
      return Promise.reject(new BaatCheetApiError(0, SdkErrorCode.ClientClosed, 'Client closed'));
    }
    const socket = this.socket ?? this.createSocket();
    if (!socket.connected && !socket.active) {
      this.setState(this.stateNow === 'idle' ? 'connecting' : 'reconnecting');
      socket.connect();
    }
    return this.whenConnected();
  }

  /** Closes the socket; `connect()` opens it again. Pending waits stay pending until then. */
  disconnect(): void {
    this.clearTimers();
    this.socket?.disconnect();
    if (this.stateNow !== 'closed') this.setState('idle');
  }

  /** For good: no reconnects, every wait rejected. */
  close(): void {
    this.clearTimers();
    this.socket?.disconnect();
    this.socket?.removeAllListeners();
    this.setState('closed');
    this.rejectWaiters(new BaatCheetApiError(0, SdkErrorCode.ClientClosed, 'Client closed'));
  }

  /** The session ended: socket closed, waits rejected; `connect()` works again after a new sign-in. */
  endSession(): void {
    this.clearTimers();
    this.socket?.disconnect();
    if (this.stateNow !== 'closed') this.setState('idle');
    this.rejectWaiters(new BaatCheetApiError(0, SdkErrorCode.SessionEnded, 'Session ended'));
  }

  on<E extends ServerEvent>(event: E, listener: ServerListener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  onStateChange(listener: (state: ConnectionState) => void): () => void {
    this.stateListeners.add(listener);
    return () => {
      this.stateListeners.delete(listener);
    };
  }

  /** Called on every (re)connect, after the event listeners are in place (catch-up hooks in here). */
  onConnected(listener: () => void): () => void {
    this.connectedListeners.add(listener);
    return () => {
      this.connectedListeners.delete(listener);
    };
  }

  whenConnected(signal?: AbortSignal): Promise<void> {
    if (this.socket?.connected) return Promise.resolve();
    if (this.stateNow === 'closed') {
      return Promise.reject(new BaatCheetApiError(0, SdkErrorCode.ClientClosed, 'Client closed'));
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (error: Error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      const onAbort = (): void => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(abortReason(signal));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  emitWithAck<E extends ClientEvent>(
    event: E,
    payload: PayloadOf<E>,
    timeoutMs: number,
  ): Promise<AckAnswer<AckDataOf<E>>> {
    return new Promise((resolve, reject) => {
      const socket = this.socket;
      if (!socket?.connected) {
        return reject(new BaatCheetApiError(0, SdkErrorCode.AckTimeout, 'Not connected'));
      }
      let settled = false;
      const finish = (): boolean => {
        if (settled) return false;
        settled = true;
        clearTimeout(timer);
        socket.off('disconnect', onDisconnect);
        return true;
      };
      const timer = setTimeout(() => {
        if (finish())
          reject(
            new BaatCheetApiError(
              0,
              SdkErrorCode.AckTimeout,
              `No ack for ${event} within ${timeoutMs} ms`,
            ),
          );
      }, timeoutMs);
      const onDisconnect = (): void => {
        if (finish())
          reject(
            new BaatCheetApiError(
              0,
              SdkErrorCode.AckTimeout,
              `Socket dropped before the ${event} ack`,
            ),
          );
      };
      socket.on('disconnect', onDisconnect);
      const ack = (answer: AckAnswer<AckDataOf<E>>): void => {
        if (finish()) resolve(answer);
      };
      (
        socket.emit as (
          event: string,
          payload: unknown,
          ack: (answer: AckAnswer<AckDataOf<E>>) => void,
        ) => void
      )(event, payload, ack);
    });
  }

  /** One emit, its ack turned into a value or a BaatCheetApiError (no retry). */
  async request<E extends ClientEvent>(
    event: E,
    payload: PayloadOf<E>,
    timeoutMs = 5_000,
  ): Promise<AckDataOf<E>> {
    if (this.stateNow === 'idle') {
      throw new BaatCheetApiError(0, SdkErrorCode.NotConnected, 'Call connect() first');
    }
    await this.whenConnected();
    const answer = await this.emitWithAck(event, payload, timeoutMs);
    if (answer.ok) return answer.data;
    throw new BaatCheetApiError(0, answer.error.code, answer.error.message);
  }

  private createSocket(): ChatSocket {
    const bearer = this.http.mode === 'bearer';
    const socket: ChatSocket = io(this.baseUrl, {
      autoConnect: false,
      transports: this.options.transports ?? ['websocket'],
      path: this.options.path,
      extraHeaders: this.options.extraHeaders,
      withCredentials: !bearer,
      reconnectionDelay: 500,
      reconnectionDelayMax: 5_000,
      // Read at every handshake, so a reconnect presents the latest token.
      auth: bearer
        ? (cb: (data: object) => void) => {
            const tokens = this.tokens.get();
            this.socketTokenExpiresAt = tokens ? Date.parse(tokens.accessTokenExpiresAt) : 0;
            cb({ token: tokens?.accessToken ?? '' });
          }
        : undefined,
    });
    for (const event of SERVER_TO_CLIENT_EVENTS) {
      (socket.on as (event: string, listener: (...args: unknown[]) => void) => void)(
        event,
        (...args) => this.dispatch(event, args),
      );
    }
    socket.on('connect', () => this.connectedNow());
    socket.on('disconnect', (reason) => this.disconnectedNow(reason));
    socket.on('connect_error', (error) =>
      this.refused(error as Error & { data?: Partial<ConnectErrorData> }),
    );
    this.socket = socket;
    return socket;
  }

  private dispatch(event: ServerEvent, args: unknown[]): void {
    if (event === 'session:revoked') {
      this.http.endSession('session_revoked');
    }
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        (listener as (...a: unknown[]) => void)(...args);
      } catch {
        // One listener throwing must not starve the others.
      }
    }
  }

  private connectedNow(): void {
    this.reconnectAttempts = 0;
    this.setState('connected');
    for (const waiter of this.waiters.splice(0)) waiter.resolve();
    this.scheduleTokenRefresh();
    for (const listener of [...this.connectedListeners]) {
      try {
        listener();
      } catch {
        // Same as above.
      }
    }
  }

  private disconnectedNow(reason: Socket.DisconnectReason): void {
    this.clearRefreshTimer();
    if (this.isStopped() || reason === 'io client disconnect') return;
    this.setState('reconnecting');
    // Socket.IO reconnects by itself after transport loss; a server-side disconnect (token expiry,
    // shutdown, revocation) it leaves to us.
    if (reason === 'io server disconnect')
      this.scheduleReconnect(this.http.mode === 'cookie' || this.tokenNearExpiry());
  }

  private refused(error: Error & { data?: Partial<ConnectErrorData> }): void {
    if (this.isStopped() || this.socket?.active) return; // transport error: Socket.IO retries
    this.setState('reconnecting');
    this.scheduleReconnect(AUTH_CODES.has(error.data?.code ?? ''));
  }

  private scheduleReconnect(refreshFirst: boolean): void {
    if (this.reconnectTimer) return;
    this.reconnectAttempts += 1;
    const delay =
      this.reconnectAttempts === 1
        ? 0
        : backoffDelay(this.reconnectAttempts - 1, this.options.reconnectBackoff);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.reconnect(refreshFirst);
    }, delay);
  }

  private async reconnect(refreshFirst: boolean): Promise<void> {
    if (this.isStopped()) return;
    if (refreshFirst) {
      try {
        await this.http.refresh();
      } catch (error) {
        // A 401 ended the session (endSession ran); anything else may pass.
        if (error instanceof BaatCheetApiError && error.status === 401) return;
        if (this.isStopped()) return;
        return this.scheduleReconnect(true);
      }
    }
    if (this.isStopped() || this.socket?.connected || this.socket?.active) return;
    this.socket?.connect();
  }

  /** Closed, or disconnected on purpose (disconnect(), session ended): no reconnects. */
  private isStopped(): boolean {
    return this.stateNow === 'closed' || this.stateNow === 'idle';
  }

  private rejectWaiters(error: BaatCheetApiError): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  private tokenNearExpiry(): boolean {
    const tokens = this.tokens.get();
    if (!tokens) return true;
    return (
      Date.parse(tokens.accessTokenExpiresAt) - Date.now() <
      this.leadFor(Date.parse(tokens.accessTokenExpiresAt) - Date.now())
    );
  }

  private leadFor(remainingMs: number): number {
    return Math.min(this.options.tokenRefreshLeadMs ?? 60_000, Math.max(0, remainingMs) / 3);
  }

  /** Bearer mode: before the socket's token expires, get a fresh one and hand it over (`auth:refresh`). */
  private scheduleTokenRefresh(): void {
    this.clearRefreshTimer();
    if (this.http.mode !== 'bearer' || this.socketTokenExpiresAt === 0) return;
    const remaining = this.socketTokenExpiresAt - Date.now();
    const delay = Math.max(0, remaining - this.leadFor(remaining));
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      void this.refreshSocketToken();
    }, delay);
  }

  private async refreshSocketToken(): Promise<void> {
    try {
      const current = this.tokens.get();
      const currentExpiry = current ? Date.parse(current.accessTokenExpiresAt) : 0;
      // The HTTP side may have refreshed already; only fetch new tokens if the store has none newer.
      if (currentExpiry <= this.socketTokenExpiresAt) await this.http.refresh();
      const tokens = this.tokens.get();
      if (!tokens || !this.socket?.connected) return;
      const answer = await this.emitWithAck('auth:refresh', { token: tokens.accessToken }, 10_000);
      if (answer.ok) this.socketTokenExpiresAt = Date.parse(answer.data.expiresAt);
      this.scheduleTokenRefresh();
    } catch {
      // The server disconnects at expiry; the reconnect path refreshes and catches up.
      if (this.socket?.connected) this.scheduleRetryOfTokenRefresh();
    }
  }

  private scheduleRetryOfTokenRefresh(): void {
    this.clearRefreshTimer();
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      void this.refreshSocketToken();
    }, 2_000);
  }

  private setState(state: ConnectionState): void {
    if (this.stateNow === state) return;
    this.stateNow = state;
    for (const listener of [...this.stateListeners]) {
      try {
        listener(state);
      } catch {
        // Same as above.
      }
    }
  }

  private clearRefreshTimer(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
  }

  private clearTimers(): void {
    this.clearRefreshTimer();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
  }
}
