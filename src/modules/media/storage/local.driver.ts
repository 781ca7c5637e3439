import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { mkdir, open, rename, stat, unlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppException } from '../../../common/errors/app.exception';
import { signGrant } from './signed-url';
import {
  StorageDriver,
  type DownloadRequest,
  type UploadInstructions,
  type UploadRequest,
} from './storage.driver';

export const LOCAL_UPLOAD_PATH = '/api/v1/media/local/upload';
export const LOCAL_DOWNLOAD_PATH = '/api/v1/media/local/download';

/**
 * Files on this machine's disk. The app itself serves the signed URLs it hands out
 * (LocalTransferController), streaming in both directions; a file is never held in memory.
 */
export class LocalStorageDriver extends StorageDriver {
  readonly name = 'local' as const;
  private readonly root: string;

  constructor(
    root: string,
    private readonly secret: string,
  ) {
    super();
    this.root = path.resolve(root);
  }

  createUpload(request: UploadRequest): Promise<UploadInstructions> {
    const token = signGrant(
      {
        op: 'put',
        key: request.key,
        contentType: request.contentType,
        size: request.size,
        exp: Math.floor(request.expiresAt.getTime() / 1000),
      },
      this.secret,
    );
    return Promise.resolve({
      method: 'PUT',
      url: `${request.baseUrl}${LOCAL_UPLOAD_PATH}?token=${token}`,
      headers: { 'Content-Type': request.contentType },
      expiresAt: request.expiresAt,
    });
  }

  createDownloadUrl(request: DownloadRequest): Promise<string> {
    const token = signGrant(
      {
        op: 'get',
        key: request.key,
        contentType: request.contentType,
        filename: request.filename,
        exp: Math.floor(request.expiresAt.getTime() / 1000),
      },
      this.secret,
    );
    return Promise.resolve(`${request.baseUrl}${LOCAL_DOWNLOAD_PATH}?token=${token}`);
  }

  async stat(key: string): Promise<{ size: number } | null> {
    try {
      const info = await stat(this.pathOf(key));
      return info.isFile() ? { size: info.size } : null;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async readHead(key: string, bytes: number): Promise<Buffer> {
    const handle = await open(this.pathOf(key), 'r');
    try {
      const buffer = Buffer.alloc(bytes);
      const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.pathOf(key));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  /**
   * Streams `body` into the object at `key`, through a temporary file renamed into place only when
   * complete, so a half-written upload is never visible. Fails with 413 the moment more than
   * `maxBytes` arrive; the temporary file is then removed.
   */
  async write(key: string, body: Readable, maxBytes: number): Promise<number> {
    const target = this.pathOf(key);
    await mkdir(path.dirname(target), { recursive: true });
    const temp = `${target}.${randomUUID()}.part`;
    let received = 0;
    const limit = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        received += chunk.length;
        if (received > maxBytes) {
          callback(
            new AppException(
              'PAYLOAD_TOO_LARGE',
              `The upload exceeds its declared ${maxBytes} bytes`,
            ),
          );
          return;
        }
        callback(null, chunk);
      },
    });
    // The request is piped, not handed to pipeline(): pipeline would destroy it (and its socket)
    // on a 413, and the client would never read the answer.
    const source = new PassThrough();
    const abort = (): void => {
      if (!body.readableEnded) source.destroy(new Error('upload aborted by the client'));
    };
    body.once('error', abort);
    body.once('close', abort);
    body.pipe(source);
    try {
      await pipeline(source, limit, createWriteStream(temp, { flags: 'wx' }));
      await rename(temp, target);
      return received;
    } catch (error) {
      body.unpipe(source);
      await unlink(temp).catch(() => undefined);
      throw error;
    } finally {
      body.off('error', abort);
      body.off('close', abort);
    }
  }

  readObject(key: string): Promise<Readable> {
    return Promise.resolve(createReadStream(this.pathOf(key)));
  }

  async putObject(key: string, data: Buffer): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(path.dirname(target), { recursive: true });
    const temp = `${target}.${randomUUID()}.part`;
    try {
      await writeFile(temp, data, { flag: 'wx' });
      await rename(temp, target);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
  }

  /** A read stream of bytes [start, end] (inclusive) of the object. */
  openRead(key: string, start: number, end: number): ReadStream {
    return createReadStream(this.pathOf(key), { start, end });
  }

  /** Keys are server-made, but the path is still confined to the root. */
  private pathOf(key: string): string {
    if (!/^[a-z0-9][a-z0-9/_-]*$/.test(key) || key.includes('..') || key.includes('//')) {
      throw new Error(`invalid storage key ${JSON.stringify(key)}`);
    }
    const resolved = path.resolve(this.root, key);
    if (!resolved.startsWith(`${this.root}${path.sep}`)) {
      throw new Error(`storage key escapes the media root: ${key}`);
    }
    return resolved;
  }
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
