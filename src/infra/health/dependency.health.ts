import { Injectable, Logger } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { DatabaseConnection } from '../database/database.connection';
import { RedisService } from '../redis/redis.service';

const PING_TIMEOUT_MS = 1_500;

class PingTimeout extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PingTimeout(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The error's message and those of its causes (a driver wraps the socket error it got). */
function reasonOf(error: unknown): string {
  const parts: string[] = [];
  let current = error;
  for (let depth = 0; typeof current === 'object' && current !== null && depth < 3; depth += 1) {
    const { message, cause } = current as { message?: unknown; cause?: unknown };
    if (typeof message === 'string') parts.push(message.replace(/\s+/g, ' ').trim());
    current = cause;
  }
  return parts.join(' <- ') || 'unknown';
}

/** Readiness of the two stores every request may need. */
@Injectable()
export class DependencyHealth {
  private readonly logger = new Logger('Health');

  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly database: DatabaseConnection,
    private readonly redis: RedisService,
  ) {}

  database$ = (): Promise<HealthIndicatorResult> =>
    this.probe('database', () => this.database.ping());
  redis$ = (): Promise<HealthIndicatorResult> => this.probe('redis', () => this.redis.ping());

  private async probe(key: string, ping: () => Promise<void>): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(key);
    try {
      await withTimeout(ping(), PING_TIMEOUT_MS);
      return indicator.up();
    } catch (error) {
      // The public answer stays generic (no hosts, ports or queries); the reason goes to the log.
      this.logger.warn(`${key} is not ready: ${reasonOf(error)}`);
      return indicator.down({
        message: error instanceof PingTimeout ? error.message : 'unreachable',
      });
    }
  }
}
