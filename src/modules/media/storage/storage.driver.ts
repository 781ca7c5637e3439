import type { Readable } from 'node:stream';

export interface UploadInstructions {
  method: 'PUT' | 'POST';
  url: string;
  /** Form fields of a presigned POST (S3); absent for PUT. */
  fields?: Record<string, string>;
  /** Headers the client must send with the upload. */
  headers?: Record<string, string>;
  expiresAt: Date;
}

export interface UploadRequest {
  key: string;
  contentType: string;
  /** Declared size: the upload may not exceed it. */
  size: number;
  expiresAt: Date;
  /** Origin the URL is built on (local driver), e.g. https://chat.example.com */
  baseUrl: string;
}

export interface DownloadRequest {
  key: string;
  contentType: string;
  filename: string;
  expiresAt: Date;
  baseUrl: string;
}

/**
 * Object storage, one implementation per backend (`local`, later `s3`). Services depend on this
 * class only. Uploads never pass through the service: drivers hand out URLs the client uses itself.
 */
export abstract class StorageDriver {
  abstract readonly name: 'local' | 's3';
  abstract createUpload(request: UploadRequest): Promise<UploadInstructions>;
  abstract createDownloadUrl(request: DownloadRequest): Promise<string>;
  /** Size of the stored object, or null when there is none. */
  abstract stat(key: string): Promise<{ size: number } | null>;
  /** At most `bytes` leading bytes of the object. */
  abstract readHead(key: string, bytes: number): Promise<Buffer>;
  /** Removes the object; no error when it is already gone. */
  abstract delete(key: string): Promise<void>;
  /** The whole object as a stream (server-side processing such as thumbnails). */
  abstract readObject(key: string): Promise<Readable>;
  /** Stores a small object the server made itself (e.g. a thumbnail), replacing any previous one. */
  abstract putObject(key: string, data: Buffer, contentType: string): Promise<void>;
}
