import { DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from './config/app-config';
import { CoreModule, type CoreOptions } from './core.module';
import { MailModule } from './modules/mail/mail.module';
import { MediaWorkerModule } from './modules/media/media-worker.module';

/** The worker process: queue processors only, no HTTP server. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig, options: CoreOptions = {}): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        CoreModule.forRoot(config, options),
        MailModule.register({ processors: true }),
        MediaWorkerModule.register({ processors: true }),
      ],
    };
  }
}
