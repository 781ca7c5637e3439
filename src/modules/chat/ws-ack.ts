import type { Logger } from '@nestjs/common';
import { classifyError } from '../../common/errors/classify-error';

export type AckOk<T> = { ok: true; data: T };
export type AckError = { ok: false; error: { code: string; message: string } };
export type AckAnswer<T> = AckOk<T> | AckError;

/**
 * The WebSocket side of the error contract: the same codes and messages as HTTP (classifyError),
 * without status, headers or details. Unexpected errors become a generic INTERNAL_ERROR.
 */
export function errorAck(error: unknown): AckError {
  const { code, message } = classifyError(error);
  return { ok: false, error: { code, message } };
}

/**
 * Runs one client→server event and always resolves with an ack answer: whatever `work` throws
 * (or rejects with) is mapped, and logged when it was unexpected or a dependency failure.
 */
export async function answer<T>(
  logger: Logger,
  event: string,
  work: () => Promise<T> | T,
): Promise<AckAnswer<T>> {
  try {
    return { ok: true, data: await work() };
  } catch (error) {
    const classified = classifyError(error);
    if (classified.unexpected) {
      logger.error({ err: error, event }, 'Unhandled error in socket event');
    } else if (classified.status >= 500) {
      logger.warn({ event, code: classified.code, reason: describe(error) }, 'Dependency failure');
    }
    return { ok: false, error: { code: classified.code, message: classified.message } };
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : 'unknown';
}
