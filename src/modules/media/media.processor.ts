import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import {
  Inject,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { UnrecoverableError, type Job } from 'bullmq';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { MediaJob, QueueName } from '../../infra/queue/queue.constants';
import { closeWorkerWithin } from '../../infra/queue/queue-shutdown';
import { MediaCleanup, type CleanupResult } from './media-cleanup.service';
import { MediaJobs, type ThumbnailJobData } from './media-jobs.service';
import { MediaThumbnails, type ThumbnailOutcome } from './media-thumbnails.service';
import { UndecodableImageError } from './thumbnail';

/** Image decoding is CPU-bound (libvips uses its own threads): a few at a time is plenty. */
export const MEDIA_WORKER_CONCURRENCY = 2;

type MediaJobRef = Job<Partial<ThumbnailJobData>, ThumbnailOutcome | CleanupResult, string>;

/**
 * Thin: thumbnails and the stale-upload cleanup. Runs in main.ts unless WORKERS=off, and in
 * worker.ts; whichever process runs it also (re)registers the cleanup's job scheduler.
 */
@Processor(QueueName.Media, { concurrency: MEDIA_WORKER_CONCURRENCY })
export class MediaProcessor
  extends WorkerHost
  implements OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly logger = new Logger('MediaProcessor');
  private lastWorkerError = '';

  constructor(
    private readonly thumbnails: MediaThumbnails,
    private readonly cleanup: MediaCleanup,
    private readonly jobs: MediaJobs,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.worker.waitUntilReady();
    await this.jobs.scheduleCleanup(this.config.media.cleanupIntervalSeconds);
  }

  async process(job: MediaJobRef): Promise<ThumbnailOutcome | CleanupResult> {
    const name = job.name;
    if (!isMediaJob(name)) throw new UnrecoverableError(`not a media job: "${name}"`);
    switch (name) {
      case MediaJob.Thumbnail: {
        const mediaId = job.data.mediaId;
        if (typeof mediaId !== 'string')
          throw new UnrecoverableError('thumbnail job without mediaId');
        try {
          return await this.thumbnails.make(mediaId);
        } catch (error) {
          // A corrupt or oversized image will not decode on a retry either.
          if (error instanceof UndecodableImageError) throw new UnrecoverableError(error.message);
          throw error;
        }
      }
      case MediaJob.CleanupPending:
        return this.cleanup.run();
    }
  }

  @OnWorkerEvent('failed')
  onFailed(job: MediaJobRef | undefined, error: Error): void {
    if (!job) return;
    const attempts = job.opts.attempts ?? 1;
    const final = job.attemptsMade >= attempts || error instanceof UnrecoverableError;
    this.logger.warn(
      `${job.name} job ${job.id} failed (attempt ${job.attemptsMade}/${attempts}${final ? ', giving up' : ', will retry'}): ${error.message}`,
    );
  }

  @OnWorkerEvent('error')
  onWorkerError(error: Error): void {
    if (error.message === this.lastWorkerError) return;
    this.lastWorkerError = error.message;
    this.logger.warn(`media worker: ${error.message}`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await closeWorkerWithin(
      this.worker,
      {
        // Smaller than mail's share: a thumbnail takes a second, and both close within one grace.
        drainMs: Math.floor(this.config.shutdownGraceMs * 0.2),
        forcedCloseMs: Math.floor(this.config.shutdownGraceMs * 0.1),
      },
      this.logger,
    );
  }
}

function isMediaJob(name: string): name is MediaJob {
  return (Object.values(MediaJob) as string[]).includes(name);
}
