import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { PGlite } from '@electric-sql/pglite';
import { sql, type Logger as DrizzleLogger } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { Pool } from 'pg';
import type { AppConfig } from '../../config/app-config';
import type { Database } from './database.types';
import * as schema from './schema';

export const MIGRATIONS_FOLDER = path.join(__dirname, 'migrations');
/** Any fixed number: every replica takes the same advisory lock so migrations run once. */
const MIGRATION_LOCK_ID = 727_274_001;

type Driver = { kind: 'postgres'; pool: Pool } | { kind: 'pglite'; client: PGlite };

export type QueryListener = (query: string) => void;

/**
 * Sees every SQL statement Drizzle sends (BEGIN/COMMIT included). Nothing listens in production;
 * tests subscribe to count the statements a request costs (e.g. "no N+1").
 */
class QueryObserver implements DrizzleLogger {
  readonly listeners = new Set<QueryListener>();

  logQuery(query: string): void {
    for (const listener of this.listeners) listener(query);
  }
}

/** Owns the one connection (pool or embedded database) of the process and closes it on shutdown. */
export class DatabaseConnection implements OnApplicationShutdown {
  private closed = false;

  private constructor(
    readonly db: Database,
    private readonly driver: Driver,
    private readonly observer: QueryObserver,
  ) {}

  static async open(config: AppConfig['database']): Promise<DatabaseConnection> {
    const observer = new QueryObserver();
    if (config.driver === 'postgres') {
      const pool = new Pool({
        connectionString: config.url,
        max: config.poolMax,
        connectionTimeoutMillis: 5_000,
        idleTimeoutMillis: 30_000,
        application_name: 'baat-cheet',
      });
      // An idle client losing its server must not crash the process; queries will report it.
      pool.on('error', (error) =>
        new Logger('Database').warn(`idle client error: ${error.message}`),
      );
      // pg-pool listens for errors only while a client is idle: a checked-out client between two
      // statements of a transaction (no query in flight) whose server goes away would emit an
      // unhandled 'error' and kill the process. Its next query fails instead, and the pool drops
      // it on release.
      pool.on('connect', (client) =>
        client.on('error', (error) =>
          new Logger('Database').warn(`client error: ${error.message}`),
        ),
      );
      const db = drizzlePg(pool, {
        schema,
        casing: 'snake_case',
        logger: observer,
      }) as unknown as Database;
      return new DatabaseConnection(db, { kind: 'postgres', pool }, observer);
    }
    await mkdir(config.dataDir, { recursive: true });
    const client = await PGlite.create(config.dataDir);
    const db = drizzlePglite(client, {
      schema,
      casing: 'snake_case',
      logger: observer,
    }) as unknown as Database;
    return new DatabaseConnection(db, { kind: 'pglite', client }, observer);
  }

  /** Calls `listener` with every statement sent from now on; returns the unsubscribe. */
  onQuery(listener: QueryListener): () => void {
    this.observer.listeners.add(listener);
    return () => this.observer.listeners.delete(listener);
  }

  get kind(): Driver['kind'] {
    return this.driver.kind;
  }

  async migrate(): Promise<void> {
    if (this.driver.kind === 'pglite') {
      await migratePglite(drizzlePglite(this.driver.client), {
        migrationsFolder: MIGRATIONS_FOLDER,
      });
      return;
    }
    const client = await this.driver.pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
      await migratePg(drizzlePg(client), { migrationsFolder: MIGRATIONS_FOLDER });
    } finally {
      await client
        .query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID])
        .catch(() => undefined);
      client.release();
    }
  }

  async ping(): Promise<void> {
    await this.db.execute(sql`select 1`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.driver.kind === 'postgres') await this.driver.pool.end();
    else await this.driver.client.close();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }
}
