import { Injectable, Logger } from '@nestjs/common';
import type { DefaultEventsMap, Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from './chat.events';

/** What the handshake stores on each socket (`socket.data`). */
export interface SocketData {
  userId: string;
  sessionId: string;
  jti: string;
  /** Access-token expiry, ms since the epoch; auth:refresh moves it. */
  expiresAt: number;
}

export type ChatServer = Server<
  ClientToServerEvents,
  ServerToClientEvents,
  DefaultEventsMap,
  SocketData
>;
export type ChatSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  DefaultEventsMap,
  SocketData
>;

export const userRoom = (userId: string): string => `user:${userId}`;
export const sessionRoom = (sessionId: string): string => `session:${sessionId}`;

type EventArgs<E extends keyof ServerToClientEvents> = Parameters<ServerToClientEvents[E]>;

/**
 * The one way out to clients: typed emits to users' rooms through the Redis adapter, so they reach
 * sockets on every replica. The gateway attaches the server at init; before that (boot) nothing
 * can be connected, so emits are dropped.
 */
@Injectable()
export class WsServer {
  private readonly logger = new Logger('WsServer');
  private server?: ChatServer;

  attach(server: ChatServer): void {
    this.server = server;
  }

  get attached(): ChatServer | undefined {
    return this.server;
  }

  /** Emits to every socket of every listed user, on every replica. */
  toUsers<E extends keyof ServerToClientEvents>(
    userIds: readonly string[],
    event: E,
    ...args: EventArgs<E>
  ): void {
    // Never `server.to([])`: an empty room list would broadcast to everyone.
    const rooms = [...new Set(userIds)].filter((id) => typeof id === 'string' && id).map(userRoom);
    if (rooms.length === 0 || !this.server) return;
    try {
      this.server.to(rooms).emit(event, ...args);
    } catch (error) {
      this.logger.warn(
        `emit ${event} failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  /**
   * Tells the session's sockets (on every replica) that it was revoked, then disconnects them.
   * The adapter publishes both in order on one connection, so `session:revoked` arrives first.
   */
  revokeSession(sessionId: string): void {
    if (!this.server || !sessionId) return;
    const room = sessionRoom(sessionId);
    try {
      this.server.to(room).emit('session:revoked', { sessionId });
      this.server.in(room).disconnectSockets(true);
    } catch (error) {
      this.logger.warn(
        `revoking session sockets failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
