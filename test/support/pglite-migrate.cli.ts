import { DatabaseConnection } from '../../src/infra/database/database.connection';
import { schemaSnapshot } from './schema-snapshot';

/**
 * Migrates a PGlite database in PGLITE_DATA_DIR twice and prints both schema snapshots as one JSON
 * line. It runs as a child process because PGlite loads its WebAssembly with a dynamic import(),
 * which Jest's CommonJS sandbox refuses.
 */
async function main(): Promise<void> {
  const dataDir = process.env.PGLITE_DATA_DIR;
  if (!dataDir) throw new Error('PGLITE_DATA_DIR is required');
  const connection = await DatabaseConnection.open({
    driver: 'pglite',
    dataDir,
    migrateOnStart: false,
  });
  try {
    await connection.migrate();
    const first = await schemaSnapshot(connection);
    await connection.migrate();
    const second = await schemaSnapshot(connection);
    process.stdout.write(`${JSON.stringify({ first, second })}\n`);
  } finally {
    await connection.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
