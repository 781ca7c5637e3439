import type { INestApplicationContext, Logger } from '@nestjs/common';
import type { AppConfig } from './config/app-config';
import { loadEnvFile } from './config/env-file';
import { ConfigError, loadConfig } from './config/load-config';

/** SIGTERM/SIGINT: stop accepting, drain, close everything, exit 0; exit 1 if the grace period runs out. */
export function exitOnSignals(
  app: INestApplicationContext,
  config: AppConfig,
  logger: Logger,
): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received, shutting down (grace ${config.shutdownGraceMs} ms)`);
    const deadline = setTimeout(() => {
      logger.error('shutdown grace period exceeded, exiting');
      process.exit(1);
    }, config.shutdownGraceMs);
    deadline.unref();
    app
      .close()
      .then(() => {
        logger.log('shutdown complete');
        process.exit(0);
      })
      .catch((error: unknown) => {
        logger.error(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

export function loadConfigOrExit(): AppConfig {
  try {
    loadEnvFile();
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
