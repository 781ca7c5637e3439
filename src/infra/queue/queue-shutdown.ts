import type { Logger } from '@nestjs/common';
import type { Queue, Worker } from 'bullmq';

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms).unref());

/** The connection's status, without waiting long on a connection that is gone. */
async function statusOf(client: Promise<{ status: string }>): Promise<string | undefined> {
  const found = await Promise.race([
    client.catch(() => undefined),
    sleep(200).then(() => undefined),
  ]);
  return found?.status;
}

/**
 * For a queue's beforeApplicationShutdown: with Redis away, BullMQ's graceful close would wait
 * forever for a QUIT that can't be sent, so the connection is dropped instead.
 */
export async function dropQueueIfUnreachable(queue: Queue): Promise<void> {
  if ((await statusOf(queue.client)) === 'ready') return;
  queue.disconnect().catch(() => undefined);
}

export interface WorkerCloseBudget {
  /** How long the jobs in hand may take to finish. */
  drainMs: number;
  /** After that, how long a forced close may take before the connections are dropped. */
  forcedCloseMs: number;
}

/**
 * For a processor's beforeApplicationShutdown: let the jobs in hand finish within `drainMs`, then
 * force the close (an unfinished job is retried later, by this or another process) and, if even that
 * hangs (Redis gone), drop the connections, so the process exits within its shutdown grace.
 */
export async function closeWorkerWithin(
  worker: Worker,
  budget: WorkerCloseBudget,
  logger: Logger,
): Promise<void> {
  if ((await statusOf(worker.client)) !== 'ready') {
    logger.warn(`Redis is unreachable: closing the ${worker.name} worker without draining`);
    worker.disconnect().catch(() => undefined);
    await Promise.race([worker.close(true).catch(() => undefined), sleep(budget.forcedCloseMs)]);
    return;
  }
  const closing = worker.close().then(
    () => true,
    () => true,
  );
  const drained = await Promise.race([closing, sleep(budget.drainMs).then(() => false)]);
  if (drained) return;
  logger.warn(`${worker.name} jobs still running after ${budget.drainMs} ms of shutdown; forcing`);
  const forced = worker.close(true).then(
    () => true,
    () => true,
  );
  const settled = await Promise.race([
    closing,
    forced,
    sleep(budget.forcedCloseMs).then(() => false),
  ]);
  if (!settled) worker.disconnect().catch(() => undefined);
}
