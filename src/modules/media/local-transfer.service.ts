import { Inject, Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { AppException } from '../../common/errors/app.exception';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { RedisService } from '../../infra/redis/redis.service';
import { contentDisposition } from './media.policy';
import { LocalStorageDriver } from './storage/local.driver';
import { verifyGrant, type SignedGrant } from './storage/signed-url';

export interface Download {
  status: 200 | 206;
  headers: Record<string, string>;
  body: Readable;
}

/** Byte range [start, end], inclusive. */
interface ByteRange {
  start: number;
  end: number;
}

/**
 * The HTTP side of the local driver: checks a signed URL, then streams the body to disk or the
 * file back. The token is the whole authorisation; an upload token works once.
 */
@Injectable()
export class LocalTransferService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly driver: LocalStorageDriver,
    private readonly redis: RedisService,
  ) {}

  async receive(
    token: string,
    contentType: string | undefined,
    contentLength: string | undefined,
    body: Readable,
  ): Promise<{ size: number }> {
    const { grant, signature } = this.verify(token, 'put');
    if (grant.op !== 'put') throw new AppException('MEDIA_URL_INVALID');
    const sent = (contentType ?? '').split(';')[0].trim().toLowerCase();
    if (sent !== grant.contentType) {
      throw new AppException(
        'UNSUPPORTED_MEDIA_TYPE',
        `This upload URL takes Content-Type ${grant.contentType}`,
      );
    }
    if (contentLength !== undefined && Number(contentLength) > grant.size) {
      throw new AppException(
        'PAYLOAD_TOO_LARGE',
        `The upload exceeds its declared ${grant.size} bytes`,
      );
    }
    // Single use: the first request to present this signature claims it until it expires.
    const ttlMs = Math.max(1000, grant.exp * 1000 - Date.now());
    const claimed = await this.redis.client.set(
      `media:upload-used:${signature}`,
      '1',
      'PX',
      ttlMs,
      'NX',
    );
    if (claimed !== 'OK')
      throw new AppException('MEDIA_URL_USED', 'This upload URL was already used');
    const size = await this.driver.write(grant.key, body, grant.size);
    return { size };
  }

  async open(token: string, rangeHeader: string | undefined): Promise<Download> {
    const { grant } = this.verify(token, 'get');
    if (grant.op !== 'get') throw new AppException('MEDIA_URL_INVALID');
    const stored = await this.driver.stat(grant.key);
    if (!stored) throw new AppException('MEDIA_NOT_FOUND');
    const headers: Record<string, string> = {
      'Content-Type': grant.contentType,
      'Content-Disposition': contentDisposition(grant.filename, grant.contentType),
      'Accept-Ranges': 'bytes',
      // no-transform keeps the compression middleware off byte ranges.
      'Cache-Control': 'private, no-transform, max-age=60',
    };
    const range = parseRange(rangeHeader, stored.size);
    if (range === 'unsatisfiable') {
      throw new AppException('MEDIA_RANGE_NOT_SATISFIABLE', 'Range not satisfiable', undefined, {
        'Content-Range': `bytes */${stored.size}`,
      });
    }
    if (range) {
      return {
        status: 206,
        headers: {
          ...headers,
          'Content-Range': `bytes ${range.start}-${range.end}/${stored.size}`,
          'Content-Length': String(range.end - range.start + 1),
        },
        body: this.driver.openRead(grant.key, range.start, range.end),
      };
    }
    return {
      status: 200,
      headers: { ...headers, 'Content-Length': String(stored.size) },
      body: this.driver.openRead(grant.key, 0, Math.max(0, stored.size - 1)),
    };
  }

  private verify(token: string, op: SignedGrant['op']): { grant: SignedGrant; signature: string } {
    const result = verifyGrant(token, this.config.media.urlSecret);
    if (!result.ok) {
      throw result.reason === 'expired'
        ? new AppException('MEDIA_URL_EXPIRED', 'This media URL has expired')
        : new AppException('MEDIA_URL_INVALID', 'This media URL is not valid');
    }
    if (result.grant.op !== op)
      throw new AppException('MEDIA_URL_INVALID', 'This media URL is not valid');
    return result;
  }
}

/**
 * One `bytes=` range (RFC 9110 §14.1.2). Absent, malformed or multi-range headers serve the
 * whole file (allowed by the RFC); a well-formed range outside the file is unsatisfiable.
 */
export function parseRange(
  header: string | undefined,
  size: number,
): ByteRange | 'unsatisfiable' | null {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return null;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (match[2] !== '' && Number(match[2]) < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}
