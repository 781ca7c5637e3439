import { Logger } from '@nestjs/common';
import { createHttpApp } from './app.factory';
import { exitOnSignals, loadConfigOrExit } from './process-lifecycle';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  const app = await createHttpApp(config);
  const logger = new Logger('Main');
  exitOnSignals(app, config, logger);
  await app.listen(config.http.port, config.http.host);
  logger.log(
    `listening on http://${config.http.host}:${config.http.port} (database: ${config.database.driver}, workers: ${config.workersEnabled ? 'on' : 'off'})`,
  );
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(
    `failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
