import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger as PinoLogger } from 'nestjs-pino';
import { exitOnSignals, loadConfigOrExit } from './process-lifecycle';
import { WorkerModule } from './worker.module';

/** Runs the BullMQ processors only, so ops can scale workers apart from API replicas. */
async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(PinoLogger));
  const logger = new Logger('Worker');
  exitOnSignals(app, config, logger);
  await app.init();
  logger.log('worker started');
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(
    `worker failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
