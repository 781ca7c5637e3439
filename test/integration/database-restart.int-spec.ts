import { spawn } from 'node:child_process';
import path from 'node:path';
import { startPostgresServer, type PostgresServer } from '../support/postgres-server';
import { waitFor } from '../support/wait';

const ROOT = path.resolve(__dirname, '../..');

/**
 * Found by test/chaos/postgres-restart.chaos-spec.ts: both replicas died when PostgreSQL was
 * restarted. A transaction's client is checked out of the pool, and pg-pool listens for its errors
 * only while it is idle, so a server shutdown between two statements raised an unhandled 'error'.
 * A child process runs DatabaseConnection so that a crash is seen as a crash.
 */
describe('DatabaseConnection while PostgreSQL restarts', () => {
  let postgres: PostgresServer;

  beforeAll(async () => {
    postgres = await startPostgresServer();
  }, 120_000);
  afterAll(async () => {
    await postgres?.destroy();
  }, 60_000);

  it('survives a server shutdown in the middle of a transaction and works again after the restart', async () => {
    const script = `
      const { DatabaseConnection } = require(${JSON.stringify(path.join(ROOT, 'src/infra/database/database.connection'))});
      const { sql } = require('drizzle-orm');
      (async () => {
        const connection = await DatabaseConnection.open({
          driver: 'postgres', url: process.env.URL, poolMax: 2, migrateOnStart: false,
        });
        const outcome = await connection.db
          .transaction(async (tx) => {
            await tx.execute(sql\`select 1\`);
            console.log('IN_TRANSACTION');
            await new Promise((resolve) => process.stdin.once('data', resolve));
            await new Promise((resolve) => setTimeout(resolve, 300));
            await tx.execute(sql\`select 2\`);
          })
          .then(() => 'committed', (error) => 'rejected: ' + error.message);
        console.log('OUTCOME ' + outcome);
        await new Promise((resolve) => process.stdin.once('data', resolve));
        await connection.ping();
        console.log('PING_OK');
        await connection.close();
        console.log('CLOSED');
        process.exit(0); // stdin would keep the process alive
      })().catch((error) => { console.log('FAILED ' + error.message); process.exit(2); });
    `;
    const child = spawn(
      process.execPath,
      ['-r', require.resolve('ts-node/register/transpile-only'), '-e', script],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          URL: postgres.url,
          TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'),
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await waitFor('the transaction to start', () => out.includes('IN_TRANSACTION'), {
        timeoutMs: 60_000,
      });
      await postgres.stop('fast');
      child.stdin.write('go\n');
      await waitFor(
        'the transaction to end',
        () => /OUTCOME|FAILED/.test(out) || child.exitCode !== null,
        {
          timeoutMs: 20_000,
        },
      ).catch(() => undefined);
      expect({ exitCode: child.exitCode, out: out.replace(/\s+/g, ' ').slice(-600) }).toMatchObject(
        {
          exitCode: null,
        },
      );
      expect(out).toMatch(/OUTCOME rejected: /);
      await postgres.start();
      child.stdin.write('go\n');
      expect(await exited).toBe(0);
      expect(out).toContain('PING_OK');
      expect(out).toContain('CLOSED');
    } finally {
      child.kill('SIGKILL');
    }
  }, 120_000);
});
