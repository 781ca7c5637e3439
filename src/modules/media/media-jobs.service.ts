import { InjectQueue } from '@nestjs/bullmq';
import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { JobsOptions, Queue } from 'bullmq';
import { MEDIA_CLEANUP_SCHEDULER_ID, MediaJob, QueueName } from '../../infra/queue/queue.constants';
import { dropQueueIfUnreachable } from '../../infra/queue/queue-shutdown';

export interface ThumbnailJobData {
  mediaId: string;
}

// Names are plain strings: BullMQ types the job scheduler id with the job-name parameter.
export type MediaQueue = Queue<ThumbnailJobData | Record<string, never>, unknown, string>;

/** A request must not wait on a queue whose Redis connection is gone (it retries forever). */
export const MEDIA_ENQUEUE_TIMEOUT_MS = 3_000;

const THUMBNAIL_JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 2_000 },
  removeOnComplete: { age: 3_600, count: 1_000 },
  removeOnFail: { age: 7 * 24 * 3_600 },
};

/** `thumbnail.<media id>`: enqueueing the same media twice is one job (BullMQ ids can't hold ':'). */
export function thumbnailJobId(mediaId: string): string {
  return `thumbnail.${mediaId}`;
}

/** Enqueues media jobs; the processors run where WORKERS is on and in worker.ts. */
@Injectable()
export class MediaJobs implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('MediaJobs');

  constructor(@InjectQueue(QueueName.Media) private readonly queue: MediaQueue) {
    this.queue.on('error', (error: Error) => this.logger.warn(`media queue: ${error.message}`));
  }

  /** Started means connected, so a fast start-then-stop can't race BullMQ's initialisation. */
  async onApplicationBootstrap(): Promise<void> {
    await this.queue.waitUntilReady();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await dropQueueIfUnreachable(this.queue);
  }

  /**
   * Best effort: a media item without a thumbnail is still usable, so a queue outage is logged,
   * not passed on to the upload's completion. Completing the upload again re-enqueues it.
   */
  async enqueueThumbnail(mediaId: string): Promise<void> {
    const jobId = thumbnailJobId(mediaId);
    try {
      await this.withinTimeout(
        this.queue.add(MediaJob.Thumbnail, { mediaId }, { ...THUMBNAIL_JOB_OPTIONS, jobId }),
      );
    } catch (error) {
      this.logger.warn(`could not queue the thumbnail of media ${mediaId}: ${describe(error)}`);
    }
  }

  /** Creates or updates the repeating cleanup of stale pending uploads (idempotent). */
  async scheduleCleanup(everySeconds: number): Promise<void> {
    await this.withinTimeout(
      this.queue.upsertJobScheduler(
        MEDIA_CLEANUP_SCHEDULER_ID,
        { every: everySeconds * 1000 },
        {
          name: MediaJob.CleanupPending,
          data: {},
          opts: { removeOnComplete: { count: 50 }, removeOnFail: { count: 200 } },
        },
      ),
    );
  }

  private async withinTimeout<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error('the media queue is unavailable')),
        MEDIA_ENQUEUE_TIMEOUT_MS,
      );
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
