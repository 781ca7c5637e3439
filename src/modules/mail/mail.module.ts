import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module, type Provider } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { QueueName } from '../../infra/queue/queue.constants';
import { MailCrypto } from './mail.crypto';
import { MailProcessor } from './mail.processor';
import { MailSender } from './mail.sender';
import { MailService } from './mail.service';
import type { MailModuleOptions } from './mail.types';
import { MailTemplates } from './templates/mail.templates';

/**
 * Mail: `MailService` (enqueue only) everywhere; the BullMQ worker (processor, templates, sender)
 * only where `processors` is true — the API process unless WORKERS=off, and worker.ts.
 * The BullMQ connection comes from the global QueueModule.
 */
@Module({})
export class MailModule {
  static register(options: MailModuleOptions): DynamicModule {
    const workerProviders: Provider[] = options.processors
      ? [MailTemplates, MailSender, MailProcessor]
      : [];
    return {
      // Global so feature modules get MailService without registering the queue a second time.
      global: true,
      module: MailModule,
      imports: [BullModule.registerQueue({ name: QueueName.Mail })],
      providers: [
        {
          provide: MailCrypto,
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => new MailCrypto(config.auth.otpSecret),
        },
        MailService,
        ...workerProviders,
      ],
      exports: [MailService],
    };
  }
}
