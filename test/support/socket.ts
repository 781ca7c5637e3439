import { io, type Socket } from 'socket.io-client';
import type {
  ClientToServerEvents,
  ServerToClientEvents,
} from '../../src/modules/chat/chat.events';

export type ChatClient = Socket<ServerToClientEvents, ClientToServerEvents>;

export type AckReply<T = unknown> =
  { ok: true; data: T } | { ok: false; error: { code: string; message: string } };

export interface ConnectOptions {
  /** `auth: { token }`; leave out to rely on a cookie (or nothing). */
  token?: unknown;
  /** Any `auth` object as is (overrides `token`). */
  auth?: Record<string, unknown>;
  /** Extra handshake headers (Node client only): Origin, Cookie. */
  headers?: Record<string, string>;
  /** Default ['websocket']: what real clients use behind nginx without sticky sessions. */
  transports?: ('websocket' | 'polling')[];
  timeoutMs?: number;
}

/** Every socket a test opened, so `closeAllSockets` can leave nothing behind. */
const opened = new Set<ChatClient>();

function build(url: string, options: ConnectOptions): ChatClient {
  const auth = options.auth ?? (options.token === undefined ? undefined : { token: options.token });
  const socket: ChatClient = io(url, {
    auth,
    extraHeaders: options.headers,
    transports: options.transports ?? ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: options.timeoutMs ?? 5_000,
  });
  opened.add(socket);
  socket.on('disconnect', () => undefined);
  return socket;
}

/** Connects and resolves once the server accepted the handshake; rejects with the connect_error. */
export async function connectSocket(
  url: string,
  options: ConnectOptions = {},
): Promise<ChatClient> {
  const socket = build(url, options);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => {
        cleanup();
        socket.close();
        reject(new Error(`socket did not connect within ${options.timeoutMs ?? 5_000} ms`));
      },
      (options.timeoutMs ?? 5_000) + 500,
    );
    const onConnect = (): void => {
      cleanup();
      resolve();
    };
    const onError = (error: Error): void => {
      cleanup();
      socket.close();
      reject(error);
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('connect_error', onError);
    };
    socket.on('connect', onConnect);
    socket.on('connect_error', onError);
  });
  return socket;
}

/** Expects the handshake to be refused; resolves with the connect_error's `data` (code, message). */
export async function connectRefused(
  url: string,
  options: ConnectOptions = {},
): Promise<{ code?: string; message?: string; error: Error }> {
  try {
    const socket = await connectSocket(url, options);
    socket.close();
  } catch (error) {
    const data = (error as Error & { data?: { code?: string; message?: string } }).data;
    return { code: data?.code, message: data?.message, error: error as Error };
  }
  throw new Error('the handshake was accepted, expected a refusal');
}

/**
 * Emits an event with an ack and resolves with the reply; rejects when none comes by the deadline.
 * `args` go out as given (so tests can send malformed payloads).
 */
export async function emitWithAck<T = unknown>(
  socket: ChatClient,
  event: string,
  payload: unknown,
  timeoutMs = 5_000,
): Promise<AckReply<T>> {
  const raw = socket as unknown as Socket;
  return (await raw.timeout(timeoutMs).emitWithAck(event, payload)) as AckReply<T>;
}

/** Emits with any list of arguments and an ack at the end (extra arguments, no payload, ...). */
export async function emitArgsWithAck<T = unknown>(
  socket: ChatClient,
  event: string,
  args: unknown[],
  timeoutMs = 5_000,
): Promise<AckReply<T>> {
  const raw = socket as unknown as Socket;
  return (await raw.timeout(timeoutMs).emitWithAck(event, ...args)) as AckReply<T>;
}

/** Fire and forget: no ack callback at all. */
export function emitNoAck(socket: ChatClient, event: string, ...args: unknown[]): void {
  (socket as unknown as Socket).emit(event, ...args);
}

/**
 * Resolves with the next `event` whose payload matches `predicate` (events that arrived before
 * this call are not seen: start waiting before acting).
 */
export function nextEvent<T = unknown>(
  socket: ChatClient,
  event: string,
  predicate: (payload: T) => boolean = () => true,
  timeoutMs = 5_000,
): Promise<T> {
  const raw = socket as unknown as Socket;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      raw.off(event, onEvent);
      reject(new Error(`no "${event}" event within ${timeoutMs} ms`));
    }, timeoutMs);
    const onEvent = (payload: T): void => {
      let matches = false;
      try {
        matches = predicate(payload);
      } catch {
        matches = false;
      }
      if (!matches) return;
      clearTimeout(timer);
      raw.off(event, onEvent);
      resolve(payload);
    };
    raw.on(event, onEvent);
  });
}

/** Records every `event` a socket receives, in order, from now on. */
export function recordEvents<T = unknown>(socket: ChatClient, event: string): T[] {
  const seen: T[] = [];
  (socket as unknown as Socket).on(event, (payload: T) => seen.push(payload));
  return seen;
}

/** Resolves with the disconnect reason (immediately if already disconnected). */
export function disconnected(socket: ChatClient, timeoutMs = 5_000): Promise<string> {
  if (!socket.connected) return Promise.resolve('already disconnected');
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`socket still connected after ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once('disconnect', (reason) => {
      clearTimeout(timer);
      resolve(reason);
    });
  });
}

/** Asserts that no `event` arrives within `ms` (for "must not receive" checks). */
export async function noEvent(
  socket: ChatClient,
  event: string,
  ms: number,
  predicate: (payload: unknown) => boolean = () => true,
): Promise<void> {
  const outcome = await nextEvent(socket, event, predicate, ms).then(
    (payload) => ({ received: true as const, payload }),
    () => ({ received: false as const }),
  );
  if (outcome.received) {
    throw new Error(`unexpected "${event}" event: ${JSON.stringify(outcome.payload)}`);
  }
}

export function closeSocket(socket: ChatClient | undefined): void {
  if (!socket) return;
  socket.close();
  opened.delete(socket);
}

export function closeAllSockets(): void {
  for (const socket of opened) socket.close();
  opened.clear();
}
