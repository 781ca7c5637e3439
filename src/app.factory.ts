import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule, type AppOptions } from './app.module';
import type { AppConfig } from './config/app-config';
import { answerParserErrorsInEnvelope } from './infra/http/client-error.handler';
import { API_PREFIX, configureHttpPipeline, DOCS_PATH } from './infra/http/http-pipeline';
import { RedisService } from './infra/redis/redis.service';
import { RedisIoAdapter } from './infra/websocket/redis-io.adapter';
import { chatAsyncApiDocument } from './modules/chat/chat.asyncapi';

/** Builds the API application (not yet listening). main.ts and the tests share this. */
export async function createHttpApp(
  config: AppConfig,
  options: AppOptions = {},
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, options), {
    bodyParser: false,
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  app.flushLogs();
  configureHttpPipeline(app, config);
  answerParserErrorsInEnvelope(app.getHttpServer());
  app.useWebSocketAdapter(new RedisIoAdapter(app, config, app.get(RedisService)));
  app.setGlobalPrefix(API_PREFIX, { exclude: ['health/live', 'health/ready', 'metrics'] });
  if (config.http.docsEnabled) setupDocs(app, config);
  return app;
}

function setupDocs(app: NestExpressApplication, config: AppConfig): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(`${config.mail.appName} API`)
      .setDescription(
        'REST contract of the Baat Cheet chat backend. Socket.IO events: see /docs/asyncapi.json.',
      )
      .setVersion('1')
      .addBearerAuth()
      .addCookieAuth('access_token')
      .build(),
  );
  // Before Swagger UI's routes under /docs; public like them.
  const asyncapi = chatAsyncApiDocument(`${config.mail.appName} realtime API`);
  const http = app.getHttpAdapter();
  http.get(`/${DOCS_PATH}/asyncapi.json`, (_req, res) => {
    http.reply(res, asyncapi, 200);
  });
  SwaggerModule.setup(DOCS_PATH, app, document, { jsonDocumentUrl: `${DOCS_PATH}-json` });
}
