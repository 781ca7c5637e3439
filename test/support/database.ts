import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DatabaseConnection } from '../../src/infra/database/database.connection';

const TEST_NAME = /(^|_)test(_|$)/;

/** Refuses any database whose name does not mark it as a test database. */
export function assertTestDatabase(url: string): void {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (!TEST_NAME.test(name)) {
    throw new Error(
      `Refusing to run tests against database "${name}": its name must contain "test" as a word (e.g. baatcheet_test_1)`,
    );
  }
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

function adminUrl(): string {
  return process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

/** A fresh, migrated PostgreSQL database for one test file; `drop()` removes it. */
export async function createTestDatabase(
  options: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  const name = `baatcheet_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  assertTestDatabase(databaseUrl);
  if (options.migrate !== false) {
    const connection = await DatabaseConnection.open({
      driver: 'postgres',
      url: databaseUrl,
      poolMax: 2,
      migrateOnStart: false,
    });
    try {
      await connection.migrate();
    } finally {
      await connection.close();
    }
  }
  return {
    url: databaseUrl,
    name,
    drop: async () => {
      const client = new Client({ connectionString: adminUrl() });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
