import { HeadBucketCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3Settings } from '../../src/config/app-config';

const HOW_TO_START =
  'start the real S3-compatible store with `bash scripts/ceph.sh start && eval "$(bash scripts/ceph.sh env)"` ' +
  '(npm test / scripts/test.sh does both)';

/**
 * The S3 store the tests run against: the single-node Ceph radosgw of scripts/ceph.sh, named by
 * the TEST_S3_* variables that `scripts/ceph.sh env` prints. Throws, never skips, when unset.
 */
export function testS3Settings(): S3Settings {
  const read = (name: string): string => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set: ${HOW_TO_START}`);
    return value;
  };
  return {
    endpoint: read('TEST_S3_ENDPOINT'),
    region: process.env.TEST_S3_REGION || 'us-east-1',
    bucket: read('TEST_S3_BUCKET'),
    accessKeyId: read('TEST_S3_ACCESS_KEY_ID'),
    secretAccessKey: read('TEST_S3_SECRET_ACCESS_KEY'),
    forcePathStyle: true,
  };
}

/** startTestApp env overrides that select the S3 driver against this store. */
export function s3AppEnv(settings: S3Settings): Record<string, string> {
  return {
    MEDIA_DRIVER: 's3',
    S3_ENDPOINT: settings.endpoint ?? '',
    S3_REGION: settings.region,
    S3_BUCKET: settings.bucket,
    S3_ACCESS_KEY_ID: settings.accessKeyId,
    S3_SECRET_ACCESS_KEY: settings.secretAccessKey,
    S3_FORCE_PATH_STYLE: String(settings.forcePathStyle),
  };
}

/** A client of its own, for looking at the store behind the app's back. */
export function testS3Client(settings: S3Settings): S3Client {
  return new S3Client({
    region: settings.region,
    endpoint: settings.endpoint,
    forcePathStyle: settings.forcePathStyle,
    credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
    maxAttempts: 1,
  });
}

/** Fails with a clear message when the store does not answer or the bucket is missing. */
export async function assertS3Reachable(client: S3Client, settings: S3Settings): Promise<void> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: settings.bucket }));
  } catch (error) {
    throw new Error(
      `the S3 store at ${settings.endpoint} (bucket ${settings.bucket}) does not answer: ` +
        `${(error as Error).name} ${(error as Error).message}; ${HOW_TO_START}`,
    );
  }
}

/** Whether the object exists, by HeadObject (404 = false; anything else is an error). */
export async function objectExists(
  client: S3Client,
  bucket: string,
  key: string,
): Promise<boolean> {
  try {
    await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404) return false;
    throw error;
  }
}

export interface FormPostResult {
  status: number;
  /** The store's answer (S3 XML on errors). */
  body: string;
  /** `<Code>` of an S3 error answer, if any. */
  code: string | null;
}

/**
 * A browser's form upload: multipart/form-data from FormData, the policy fields first and the
 * file last (S3 ignores fields after it), sent with fetch.
 */
export async function postForm(
  url: string,
  fields: Record<string, string>,
  file: Buffer,
  fileName = 'upload.bin',
): Promise<FormPostResult> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([new Uint8Array(file)]), fileName);
  const res = await fetch(url, { method: 'POST', body: form, redirect: 'manual' });
  const body = await res.text();
  return { status: res.status, body, code: /<Code>([^<]+)<\/Code>/.exec(body)?.[1] ?? null };
}
