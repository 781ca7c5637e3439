import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Readable } from 'node:stream';
import { AppException } from '../../../common/errors/app.exception';
import type { S3Settings } from '../../../config/app-config';
import { contentDisposition } from '../media.policy';
import {
  StorageDriver,
  type DownloadRequest,
  type UploadInstructions,
  type UploadRequest,
} from './storage.driver';

/** Bounds every call, so a store that hangs turns into a 503 instead of a stuck request. */
const REQUEST_TIMEOUT_MS = 15_000;

/**
 * AWS S3 and S3-compatible stores (Ceph radosgw, MinIO…). The client uploads and downloads with
 * presigned requests; the store itself enforces the POST policy (key, exact type, size range,
 * expiry), so the file bytes never pass through the API.
 */
export class S3StorageDriver extends StorageDriver {
  readonly name = 's3' as const;
  private readonly client: S3Client;
  private readonly bucket: string;

  constructor(settings: S3Settings, client?: S3Client) {
    super();
    this.bucket = settings.bucket;
    this.client =
      client ??
      new S3Client({
        region: settings.region,
        endpoint: settings.endpoint,
        forcePathStyle: settings.forcePathStyle,
        credentials: {
          accessKeyId: settings.accessKeyId,
          secretAccessKey: settings.secretAccessKey,
        },
        maxAttempts: 2,
        requestHandler: { requestTimeout: REQUEST_TIMEOUT_MS, connectionTimeout: 5_000 },
        // Checksums the store may not know (CRC32 on every PUT) only when an operation needs one.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
  }

  async createUpload(request: UploadRequest): Promise<UploadInstructions> {
    const { url, fields } = await createPresignedPost(this.client, {
      Bucket: this.bucket,
      Key: request.key,
      Fields: { 'Content-Type': request.contentType },
      Conditions: [
        ['eq', '$Content-Type', request.contentType],
        ['content-length-range', 1, request.size],
      ],
      Expires: secondsUntil(request.expiresAt),
    });
    return { method: 'POST', url, fields, expiresAt: request.expiresAt };
  }

  createDownloadUrl(request: DownloadRequest): Promise<string> {
    return this.call(() =>
      getSignedUrl(
        this.client,
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: request.key,
          ResponseContentType: request.contentType,
          ResponseContentDisposition: contentDisposition(request.filename, request.contentType),
        }),
        { expiresIn: secondsUntil(request.expiresAt) },
      ),
    );
  }

  async stat(key: string): Promise<{ size: number } | null> {
    try {
      const head = await this.call(() =>
        this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key })),
      );
      return { size: head.ContentLength ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async readHead(key: string, bytes: number): Promise<Buffer> {
    let body: Readable;
    try {
      const object = await this.call(() =>
        this.client.send(
          new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: `bytes=0-${bytes - 1}` }),
        ),
      );
      body = object.Body as Readable;
    } catch (error) {
      // An empty object has no byte 0: the range is unsatisfiable.
      if (statusOf(error) === 416) return Buffer.alloc(0);
      throw error;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    try {
      // A store that ignores Range would send the whole object: stop reading at `bytes`.
      for await (const chunk of body) {
        const buffer = chunk as Buffer;
        chunks.push(buffer);
        received += buffer.length;
        if (received >= bytes) break;
      }
    } finally {
      body.destroy();
    }
    return Buffer.concat(chunks).subarray(0, bytes);
  }

  async delete(key: string): Promise<void> {
    try {
      await this.call(() =>
        this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })),
      );
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  async readObject(key: string): Promise<Readable> {
    const object = await this.call(() =>
      this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })),
    );
    return object.Body as Readable;
  }

  async putObject(key: string, data: Buffer, contentType: string): Promise<void> {
    await this.call(() =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: data,
          ContentType: contentType,
          ContentLength: data.length,
        }),
      ),
    );
  }

  /** Nest calls this at shutdown: closes the client's pooled connections. */
  onModuleDestroy(): void {
    this.client.destroy();
  }

  /** The store's own answers pass through; a store that cannot be reached is a 503. */
  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof S3ServiceException || statusOf(error) !== undefined) throw error;
      throw new AppException('DEPENDENCY_UNAVAILABLE', 'The media store is unavailable');
    }
  }
}

/** Whole seconds from now until `at`, at least one (presigned requests carry seconds). */
function secondsUntil(at: Date): number {
  return Math.max(1, Math.ceil((at.getTime() - Date.now()) / 1000));
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata
    ?.httpStatusCode;
}

function isNotFound(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name;
  return name === 'NotFound' || name === 'NoSuchKey' || statusOf(error) === 404;
}
