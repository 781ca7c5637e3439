import { Logger, type INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { isObservable, type Observable } from 'rxjs';
import { createAdapter } from '@socket.io/redis-adapter';
import type Redis from 'ioredis';
import type { ServerOptions } from 'socket.io';
import type { AppConfig } from '../../config/app-config';
import type { RedisService } from '../redis/redis.service';

/**
 * The socket.io Server class Nest instantiates (@nestjs/platform-socket.io pins its own socket.io
 * patch version, so the root package's types are a different, if identical, declaration).
 */
type Server = Parameters<IoAdapter['close']>[0];

type Client = Parameters<IoAdapter['bindMessageHandlers']>[0];

/** Largest Socket.IO packet a client may send; bigger ones close that client's connection. */
export const WS_MAX_PACKET_BYTES = 64 * 1024;

/**
 * Socket.IO over the Redis adapter, so a broadcast to a room (`user:<id>`, `session:<id>`)
 * reaches the sockets of every replica, and `disconnectSockets` acts on every replica too.
 *
 * It owns the adapter's two Redis connections (publish and subscribe) and closes them after the
 * socket server has closed; RedisService would close them at shutdown anyway, this is just earlier.
 */
export class RedisIoAdapter extends IoAdapter {
  private readonly logger = new Logger('RedisIoAdapter');
  private readonly connections: Redis[] = [];

  constructor(
    app: INestApplicationContext,
    private readonly config: AppConfig,
    private readonly redis: RedisService,
  ) {
    super(app);
  }

  /** The socket server's own options: CORS from config (with credentials) and a packet size cap. */
  override createIOServer(port: number, options?: ServerOptions): Server {
    const server = super.createIOServer(port, {
      ...options,
      serveClient: false,
      maxHttpBufferSize: WS_MAX_PACKET_BYTES,
      cors: {
        origin: (
          origin: string | undefined,
          callback: (error: Error | null, ok?: boolean) => void,
        ) => callback(null, origin !== undefined && this.config.http.corsOrigins.includes(origin)),
        credentials: true,
      },
    } satisfies Partial<ServerOptions>) as Server;
    const [pub, sub] = this.adapterConnections();
    server.adapter(createAdapter(pub, sub, { key: `${this.config.redis.keyPrefix}socket.io` }));
    return server;
  }

  /**
   * Same contract as IoAdapter's (the handler's result, unless nil, is the ack answer; an
   * `{ event, data }` result is emitted instead), without its per-socket RxJS pipelines: IoAdapter
   * builds a fromEvent → mergeMap → takeUntil(disconnect) chain per event per socket, which kept
   * several KiB per idle socket alive and added Observable plumbing to every event. A plain
   * listener goes with the socket when it disconnects; an answer after that is dropped by
   * Socket.IO, as takeUntil dropped it.
   */
  override bindMessageHandlers(
    socket: Client,
    handlers: MessageMappingProperties[],
    transform: (data: unknown) => Observable<unknown>,
  ): void {
    for (const { message, callback, isAckHandledManually } of handlers) {
      const event = String(message);
      socket.on(event, (...args: unknown[]) => {
        const { data, ack } = this.mapPayload(args) as {
          data: unknown;
          ack?: (response: unknown) => void;
        };
        const respond = (response: unknown): void => {
          if (response === null || response === undefined) return;
          const emitted = response as { event?: unknown; data?: unknown };
          if (typeof emitted.event === 'string') {
            socket.emit(emitted.event, emitted.data);
            return;
          }
          if (!isAckHandledManually && typeof ack === 'function') ack(response);
        };
        const fail = (error: unknown): void =>
          this.logger.error({ err: error, event }, 'Unhandled error in socket handler');
        const handled = callback(data, ack) as Observable<unknown> | Promise<unknown>;
        Promise.resolve(handled).then((result: unknown) => {
          // Interceptors may answer with an Observable: Nest's own flattening handles that case.
          if (isObservable(result)) transform(result).subscribe({ next: respond, error: fail });
          else respond(result);
        }, fail);
      });
    }
  }

  override async close(server: Server): Promise<void> {
    await super.close(server);
    await this.closeConnections();
  }

  override async dispose(): Promise<void> {
    await super.dispose();
    await this.closeConnections();
  }

  private adapterConnections(): [Redis, Redis] {
    // Publishes wait in the offline queue while Redis is away (no retry limit), so an outage delays
    // cross-replica events instead of dropping them; a rejected publish is logged, never left
    // unhandled (the adapter does not await its publishes).
    const pub = this.redis.createConnection('socket.io-pub', {
      maxRetriesPerRequest: null,
      enableOfflineQueue: true,
    });
    const publish = pub.publish.bind(pub);
    pub.publish = (channel: string | Buffer, message: string | Buffer): Promise<number> => {
      const sent = publish(channel, message);
      sent.catch((error: unknown) =>
        this.logger.warn(
          `socket.io publish failed: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
      return sent;
    };
    const sub = this.redis.createConnection('socket.io-sub', {
      maxRetriesPerRequest: null,
      enableOfflineQueue: true,
    });
    this.connections.push(pub, sub);
    return [pub, sub];
  }

  private async closeConnections(): Promise<void> {
    const connections = this.connections.splice(0);
    await Promise.all(
      connections.map(async (connection) => {
        try {
          if (connection.status === 'ready') await connection.quit();
          else connection.disconnect();
        } catch {
          connection.disconnect();
        }
      }),
    );
  }
}
