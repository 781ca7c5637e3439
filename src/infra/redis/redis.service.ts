import { Logger, OnApplicationShutdown } from '@nestjs/common';
import Redis, { type RedisOptions } from 'ioredis';
import type { AppConfig } from '../../config/app-config';

/**
 * Owns every Redis connection of the process: the main client (key-prefixed, fail-fast) and the
 * duplicates that BullMQ and the Socket.IO adapter need. All of them are closed on shutdown.
 */
export class RedisService implements OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  private readonly connections = new Set<Redis>();

  private constructor(
    /** Main client: every key it touches gets `keyPrefix`. Commands fail fast while disconnected. */
    readonly client: Redis,
    readonly keyPrefix: string,
    private readonly url: string,
  ) {
    this.track(client, 'main');
  }

  static async connect(config: AppConfig['redis']): Promise<RedisService> {
    const client = new Redis(config.url, {
      ...baseOptions(),
      keyPrefix: config.keyPrefix,
      // Auth must fail closed and fast when Redis is away, not queue requests until it returns.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 2_000,
      lazyConnect: true,
    });
    const service = new RedisService(client, config.keyPrefix, config.url);
    await client.connect();
    return service;
  }

  /**
   * A new connection for a library that manages its own commands (BullMQ, the socket adapter).
   * No key prefix: those libraries take a prefix of their own.
   */
  createConnection(purpose: string, options: RedisOptions = {}): Redis {
    const connection = new Redis(this.url, { ...baseOptions(), ...options });
    return this.track(connection, purpose);
  }

  /**
   * Connection options (not a connection) for a library that opens and closes its own
   * connections, such as BullMQ: it then quits them itself after its workers have stopped,
   * instead of us closing them under it during shutdown.
   */
  connectionOptions(options: RedisOptions = {}): RedisOptions {
    const url = new URL(this.url);
    const db = url.pathname.replace(/^\//, '');
    return {
      ...baseOptions(),
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port ? Number(url.port) : 6379,
      username: url.username ? decodeURIComponent(url.username) : undefined,
      password: url.password ? decodeURIComponent(url.password) : undefined,
      db: db ? Number(db) : undefined,
      tls: url.protocol === 'rediss:' ? {} : undefined,
      ...options,
    };
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(
      [...this.connections].map(async (connection) => {
        try {
          if (connection.status === 'ready') await connection.quit();
          else connection.disconnect();
        } catch {
          connection.disconnect();
        }
      }),
    );
    this.connections.clear();
  }

  private track(connection: Redis, purpose: string): Redis {
    this.connections.add(connection);
    let lastError = '';
    connection.on('error', (error: Error) => {
      // ioredis retries by itself; log each distinct failure once instead of every retry.
      if (error.message !== lastError) this.logger.warn(`${purpose}: ${error.message}`);
      lastError = error.message;
    });
    connection.on('ready', () => {
      if (lastError) this.logger.log(`${purpose}: reconnected`);
      lastError = '';
    });
    connection.on('end', () => this.connections.delete(connection));
    return connection;
  }
}

function baseOptions(): RedisOptions {
  return {
    connectTimeout: 3_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  };
}
