import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { DatabaseConnection } from '../../src/infra/database/database.connection';
import journal from '../../src/infra/database/migrations/meta/_journal.json';
import { startTestApp } from '../support/app';
import { assertTestDatabase, createTestDatabase, type TestDatabase } from '../support/database';
import { spawnEntry } from '../support/process';
import { queryRows, schemaSnapshot, type SchemaSnapshot } from '../support/schema-snapshot';

/** Migrates a fresh PGlite twice, in a child process (see pglite-migrate.cli.ts for why). */
async function migratePglite(
  dataDir: string,
): Promise<{ first: SchemaSnapshot; second: SchemaSnapshot }> {
  const child = spawnEntry('test/support/pglite-migrate.cli.ts', {
    env: { PGLITE_DATA_DIR: dataDir },
  });
  try {
    const exit = await child.waitForExit(30_000);
    if (exit.code !== 0) throw new Error(`PGlite migration failed: ${child.stderr()}`);
    // Other lines on stdout are the connection's own log messages.
    const line = child
      .stdout()
      .split('\n')
      .find((text) => text.startsWith('{"first"'));
    if (!line) throw new Error(`no snapshot printed: ${child.stdout()}`);
    return JSON.parse(line) as { first: SchemaSnapshot; second: SchemaSnapshot };
  } finally {
    await child.dispose();
  }
}

const openPostgres = (url: string): Promise<DatabaseConnection> =>
  DatabaseConnection.open({ driver: 'postgres', url, poolMax: 2, migrateOnStart: false });

describe('migrations', () => {
  const databases: TestDatabase[] = [];
  let pgliteDir: string | undefined;
  afterAll(async () => {
    await Promise.all(databases.map((database) => database.drop()));
    if (pgliteDir) await rm(pgliteDir, { recursive: true, force: true });
  });

  it('build the same schema on PostgreSQL 15 and on PGlite, and a second run is a no-op', async () => {
    const database = await createTestDatabase({ migrate: false });
    databases.push(database);
    pgliteDir = await mkdtemp(path.join(tmpdir(), 'baatcheet-pglite-'));
    const pglite = migratePglite(pgliteDir);
    const postgres = await openPostgres(database.url);
    try {
      const [version] = (await queryRows(postgres, sql`show server_version_num`)) as {
        server_version_num: string;
      }[];
      expect(Number(version.server_version_num)).toBeGreaterThanOrEqual(150_000);

      await postgres.migrate();
      const fromPostgres = await schemaSnapshot(postgres);
      expect(fromPostgres.migrations).toBe(journal.entries.length);
      expect(fromPostgres.indexes).toContainEqual(
        expect.objectContaining({ tablename: 'users', indexname: 'users_email_key' }),
      );
      await postgres.migrate();
      expect(await schemaSnapshot(postgres)).toEqual(fromPostgres);

      const fromPglite = await pglite;
      expect(fromPglite.first).toEqual(fromPostgres);
      expect(fromPglite.second).toEqual(fromPglite.first);
    } finally {
      await postgres.close();
    }
  });

  it('two replicas migrating one fresh database at once both succeed (advisory lock)', async () => {
    const database = await createTestDatabase({ migrate: false });
    databases.push(database);
    const replicas = await Promise.all([openPostgres(database.url), openPostgres(database.url)]);
    try {
      await Promise.all(replicas.map((replica) => replica.migrate()));
      const [a, b] = await Promise.all(replicas.map(schemaSnapshot));
      expect(a).toEqual(b);
      expect(a.migrations).toBe(journal.entries.length);
    } finally {
      await Promise.all(replicas.map((replica) => replica.close()));
    }
  });
});

describe('test database guard', () => {
  it.each([
    'postgres://postgres@127.0.0.1:5432/postgres',
    'postgres://postgres@127.0.0.1:5432/baatcheet',
    'postgres://postgres@127.0.0.1:5432/contest',
    'postgres://postgres@127.0.0.1:5432/testing_prod',
  ])('refuses %s', (url) => {
    expect(() => assertTestDatabase(url)).toThrow(/Refusing to run tests against database/);
  });

  it.each([
    'postgres://postgres@127.0.0.1:5432/baatcheet_test_1',
    'postgres://postgres@127.0.0.1:5432/test',
    'postgres://u:p@db:5432/test_ci?sslmode=disable',
  ])('accepts %s', (url) => {
    expect(() => assertTestDatabase(url)).not.toThrow();
  });

  it('startTestApp refuses a DATABASE_URL override that is not a test database, before connecting', async () => {
    await expect(
      startTestApp({ env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres' } }),
    ).rejects.toThrow(/Refusing to run tests against database "postgres"/);
  });
});
