import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { Client } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { MEDIA_CLEANUP_SCHEDULER_ID, QueueName } from '../../src/infra/queue/queue.constants';
import { MediaCleanup } from '../../src/modules/media/media-cleanup.service';
import { startTestApp, type TestApp } from '../support/app';
import { signUpBearer, smtpOtpReader, type BearerSession } from '../support/auth';
import {
  completeUpload,
  createIntent,
  EXE_HEAD,
  getMedia,
  PNG_1x1,
  putFile,
  uploadReady,
} from '../support/media';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import { waitFor } from '../support/wait';

const DAY = 86_400;

describe('media: the scheduled cleanup of stale pending uploads', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let mediaDir: string;
  let db: Client;
  let alice: BearerSession;

  const objectPath = (mediaId: string, purpose = 'attachment') =>
    path.join(mediaDir, purpose, mediaId);
  const age = (mediaId: string, seconds: number) =>
    db.query(`update media set created_at = now() - make_interval(secs => $2) where id = $1`, [
      mediaId,
      seconds,
    ]);
  const rowOf = async (mediaId: string): Promise<{ status: string } | undefined> =>
    (await db.query<{ status: string }>('select status from media where id = $1', [mediaId]))
      .rows[0];
  const pendingWithObject = async (): Promise<string> => {
    const intent = await createIntent(t.url, alice.accessToken, {
      filename: 'never-completed.png',
      contentType: 'image/png',
      size: PNG_1x1.length,
      purpose: 'attachment',
    });
    expect((await putFile(intent, PNG_1x1)).status).toBe(200);
    return intent.mediaId;
  };

  beforeAll(async () => {
    mediaDir = mkdtempSync(path.join(tmpdir(), 'bc-cleanup-'));
    smtp = await startSmtpServer();
    t = await startTestApp({
      env: {
        SMTP_URL: smtp.url,
        MAIL_RETRY_BASE_MS: '50',
        MEDIA_LOCAL_DIR: mediaDir,
        // The scheduler fires every second here (hourly by default).
        MEDIA_CLEANUP_INTERVAL_SECONDS: '1',
      },
    });
    db = new Client({ connectionString: t.database?.url });
    await db.connect();
    alice = await signUpBearer(t.url, smtpOtpReader(smtp));
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
    await smtp?.stop();
    if (mediaDir) rmSync(mediaDir, { recursive: true, force: true });
  });

  it('registers one job scheduler with the configured interval', async () => {
    const queue = t.app.get<Queue>(getQueueToken(QueueName.Media), { strict: false });
    const scheduler = await queue.getJobScheduler(MEDIA_CLEANUP_SCHEDULER_ID);
    expect(scheduler).toMatchObject({ every: 1000, name: 'cleanup-pending' });
    expect(await queue.getJobSchedulersCount()).toBe(1);
  });

  it('deletes an uploaded-but-never-completed file older than 24 h: object, then record', async () => {
    const stale = await pendingWithObject();
    const nothingUploaded = (
      await createIntent(t.url, alice.accessToken, {
        filename: 'abandoned.pdf',
        contentType: 'application/pdf',
        size: 1000,
        purpose: 'attachment',
      })
    ).mediaId;
    const fresh = await pendingWithObject();
    const ready = await uploadReady(t.url, alice.accessToken, {
      body: PNG_1x1,
      contentType: 'image/png',
      purpose: 'avatar',
    });
    expect(existsSync(objectPath(stale))).toBe(true);

    await age(stale, DAY + 60);
    await age(nothingUploaded, DAY + 60);
    await age(fresh, DAY - 600);
    await age(ready.mediaId, 30 * DAY);

    await waitFor(
      'the stale rows to be deleted',
      async () =>
        (await rowOf(stale)) === undefined && (await rowOf(nothingUploaded)) === undefined,
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(existsSync(objectPath(stale))).toBe(false);
    await getMedia(t.url, alice.accessToken, stale).expect(404);
    // Younger than 24 h, or ready: kept, with their files.
    expect(await rowOf(fresh)).toEqual({ status: 'pending' });
    expect(existsSync(objectPath(fresh))).toBe(true);
    expect(await rowOf(ready.mediaId)).toEqual({ status: 'ready' });
    expect(existsSync(objectPath(ready.mediaId, 'avatar'))).toBe(true);
    await getMedia(t.url, alice.accessToken, ready.mediaId).expect(200);
    // The fresh upload can still be completed.
    await completeUpload(t.url, alice.accessToken, fresh).expect(200);
  });

  it('also removes old rejected records, whose object is already gone', async () => {
    const intent = await createIntent(t.url, alice.accessToken, {
      filename: 'fake.png',
      contentType: 'image/png',
      size: EXE_HEAD.length,
      purpose: 'attachment',
    });
    await putFile(intent, EXE_HEAD);
    await completeUpload(t.url, alice.accessToken, intent.mediaId).expect(422);
    expect(await rowOf(intent.mediaId)).toEqual({ status: 'rejected' });
    await age(intent.mediaId, DAY + 1);
    await waitFor(
      'the rejected row to go',
      async () => (await rowOf(intent.mediaId)) === undefined,
      {
        timeoutMs: 30_000,
        intervalMs: 200,
      },
    );
  });

  it('an upload the cleanup removed can no longer be completed (404)', async () => {
    const stale = await pendingWithObject();
    await age(stale, DAY + 60);
    await waitFor('the stale row to go', async () => (await rowOf(stale)) === undefined, {
      timeoutMs: 30_000,
      intervalMs: 200,
    });
    await completeUpload(t.url, alice.accessToken, stale).expect(404);
  });
});

describe('media: the cleanup job itself (default hourly schedule)', () => {
  let t: TestApp;
  let db: Client;
  let mediaDir: string;

  const insertMedia = (ids: string[], status: string, ageSql: string) =>
    db.query(
      `insert into media (id, owner_id, purpose, storage_key, filename, content_type, size, status, created_at)
       select id, $2::uuid, 'attachment', 'attachment/' || id, 'x.png', 'image/png', 10, $3,
              now() - $4::interval
       from unnest($1::uuid[]) as id`,
      [ids, uuidv7(), status, ageSql],
    );
  const countOf = async (ids: string[]): Promise<number> =>
    Number(
      (await db.query<{ n: string }>('select count(*) as n from media where id = any($1)', [ids]))
        .rows[0].n,
    );

  beforeAll(async () => {
    mediaDir = mkdtempSync(path.join(tmpdir(), 'bc-cleanup-'));
    t = await startTestApp({ env: { MEDIA_LOCAL_DIR: mediaDir } });
    db = new Client({ connectionString: t.database?.url });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await t?.close();
    if (mediaDir) rmSync(mediaDir, { recursive: true, force: true });
  });

  it('is scheduled hourly by default', async () => {
    const queue = t.app.get<Queue>(getQueueToken(QueueName.Media), { strict: false });
    expect(await queue.getJobScheduler(MEDIA_CLEANUP_SCHEDULER_ID)).toMatchObject({
      every: 3_600_000,
    });
  });

  it('works through more stale rows than one batch holds in one run, and leaves the rest', async () => {
    // Inserted directly: these objects never existed, and a missing object is not an error.
    const stale = Array.from({ length: 250 }, () => uuidv7());
    const young = Array.from({ length: 3 }, () => uuidv7());
    const ready = Array.from({ length: 3 }, () => uuidv7());
    await insertMedia(stale, 'pending', '25 hours');
    await insertMedia(young, 'pending', '23 hours');
    await insertMedia(ready, 'ready', '30 days');
    const cleanup = t.app.get(MediaCleanup, { strict: false });
    expect(await cleanup.run()).toEqual({ deleted: 250, failed: 0 });
    expect(await countOf(stale)).toBe(0);
    expect(await countOf(young)).toBe(3);
    expect(await countOf(ready)).toBe(3);
    expect(await cleanup.run()).toEqual({ deleted: 0, failed: 0 });
  });
});
