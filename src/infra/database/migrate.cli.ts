import { loadConfig } from '../../config/load-config';
import { loadEnvFile } from '../../config/env-file';
import { DatabaseConnection } from './database.connection';

/** `npm run db:migrate`: apply pending migrations to the configured database and exit. */
async function main(): Promise<void> {
  loadEnvFile();
  const config = loadConfig(process.env);
  const connection = await DatabaseConnection.open(config.database);
  try {
    await connection.migrate();
    process.stdout.write(`migrations applied (${connection.kind})\n`);
  } finally {
    await connection.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
