import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { getQueueToken } from '@nestjs/bullmq';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Queue } from 'bullmq';
import request from 'supertest';
import sharp from 'sharp';
import { MEDIA_CLEANUP_SCHEDULER_ID, QueueName } from '../../src/infra/queue/queue.constants';
import { thumbnailJobId } from '../../src/modules/media/media-jobs.service';
import { WorkerModule } from '../../src/worker.module';
import { startTestApp, type TestApp } from '../support/app';
import { signUpBearer, smtpOtpReader, type BearerSession } from '../support/auth';
import {
  completeUpload,
  corruptPng,
  fetchMediaUrl,
  getMedia,
  imageOf,
  PDF_HEAD,
  pngClaiming,
  uploadReady,
} from '../support/media';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import { waitFor } from '../support/wait';

interface MediaData {
  status: string;
  width: number | null;
  height: number | null;
  url: string | null;
  thumbnailUrl: string | null;
}

describe('media: thumbnails (BullMQ job, sharp, local driver)', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let mediaDir: string;
  let alice: BearerSession;
  let queue: Queue;

  const read = async (mediaId: string): Promise<MediaData> =>
    (await getMedia(t.url, alice.accessToken, mediaId).expect(200)).body.data as MediaData;
  const withThumbnail = (mediaId: string): Promise<MediaData> =>
    waitFor(
      `the thumbnail of ${mediaId}`,
      async () => {
        const data = await read(mediaId);
        return data.thumbnailUrl ? data : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
  const jobState = async (mediaId: string): Promise<string | undefined> => {
    const job = await queue.getJob(thumbnailJobId(mediaId));
    return job ? job.getState() : undefined;
  };
  const failedJob = (mediaId: string) =>
    waitFor(
      `the thumbnail job of ${mediaId} to fail`,
      async () => {
        // State first, then the job: a job read before it failed would show attemptsMade 0.
        if ((await queue.getJobState(thumbnailJobId(mediaId))) !== 'failed') return undefined;
        return queue.getJob(thumbnailJobId(mediaId));
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
  const thumbnailOf = async (data: MediaData) => {
    const res = await fetchMediaUrl(t.url, data.thumbnailUrl ?? '');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/webp');
    return sharp(res.body).metadata();
  };

  beforeAll(async () => {
    mediaDir = mkdtempSync(path.join(tmpdir(), 'bc-thumbs-'));
    smtp = await startSmtpServer();
    t = await startTestApp({
      env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50', MEDIA_LOCAL_DIR: mediaDir },
    });
    queue = t.app.get<Queue>(getQueueToken(QueueName.Media), { strict: false });
    alice = await signUpBearer(t.url, smtpOtpReader(smtp));
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.stop();
    if (mediaDir) rmSync(mediaDir, { recursive: true, force: true });
  });

  it('fits an attachment PNG inside 512 px, stored beside the original, and records its size', async () => {
    const png = await imageOf('png', 1200, 800);
    const { mediaId, data } = await uploadReady(t.url, alice.accessToken, {
      body: png,
      contentType: 'image/png',
      purpose: 'attachment',
      filename: 'wide.png',
    });
    expect(data.status).toBe('ready');
    const ready = await withThumbnail(mediaId);
    expect(ready).toMatchObject({ width: 1200, height: 800 });
    expect(ready.thumbnailUrl).not.toBe(ready.url);
    expect(await thumbnailOf(ready)).toMatchObject({ format: 'webp', width: 512, height: 341 });
    expect(readdirSync(path.join(mediaDir, 'attachment')).sort()).toEqual(
      [mediaId, `${mediaId}_thumb`].sort(),
    );
    // The original is untouched.
    const original = await fetchMediaUrl(t.url, ready.url ?? '');
    expect(original.body.equals(png)).toBe(true);
  });

  it('crops an avatar JPEG to a 256 px square and fills in the JPEG dimensions', async () => {
    const jpeg = await imageOf('jpeg', 300, 500);
    const { mediaId, data } = await uploadReady(t.url, alice.accessToken, {
      body: jpeg,
      contentType: 'image/jpeg',
      purpose: 'avatar',
      filename: 'me.jpg',
    });
    // The magic-byte check cannot read JPEG dimensions; the thumbnail job does.
    expect(data).toMatchObject({ width: null, height: null, thumbnailUrl: null });
    const ready = await withThumbnail(mediaId);
    expect(ready).toMatchObject({ width: 300, height: 500 });
    expect(await thumbnailOf(ready)).toMatchObject({ format: 'webp', width: 256, height: 256 });
  });

  it('never enlarges a small attachment image', async () => {
    const { mediaId } = await uploadReady(t.url, alice.accessToken, {
      body: await imageOf('webp', 120, 40),
      contentType: 'image/webp',
      purpose: 'attachment',
    });
    const ready = await withThumbnail(mediaId);
    expect(ready).toMatchObject({ width: 120, height: 40 });
    expect(await thumbnailOf(ready)).toMatchObject({ width: 120, height: 40 });
  });

  it('is one job per media item, however often the upload is completed', async () => {
    const { mediaId } = await uploadReady(t.url, alice.accessToken, {
      body: await imageOf('png', 64, 64),
      contentType: 'image/png',
      purpose: 'attachment',
    });
    await completeUpload(t.url, alice.accessToken, mediaId).expect(200);
    await completeUpload(t.url, alice.accessToken, mediaId).expect(200);
    await withThumbnail(mediaId);
    const ids = (await queue.getJobs(['completed', 'active', 'waiting', 'delayed', 'failed']))
      .map((job) => job.id)
      .filter((id) => id === thumbnailJobId(mediaId));
    expect(ids).toHaveLength(1);
  });

  it('makes no job for a file that is not an image', async () => {
    const { mediaId } = await uploadReady(t.url, alice.accessToken, {
      body: PDF_HEAD,
      contentType: 'application/pdf',
      purpose: 'attachment',
    });
    expect(await jobState(mediaId)).toBeUndefined();
    expect((await read(mediaId)).thumbnailUrl).toBeNull();
  });

  it('a corrupt image fails its job at once (no retries); the media stays ready, without a thumbnail', async () => {
    const { mediaId } = await uploadReady(t.url, alice.accessToken, {
      body: corruptPng(),
      contentType: 'image/png',
      purpose: 'attachment',
    });
    const job = await failedJob(mediaId);
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toBeTruthy();
    expect(await read(mediaId)).toMatchObject({ status: 'ready', thumbnailUrl: null });
    expect(readdirSync(path.join(mediaDir, 'attachment'))).not.toContain(`${mediaId}_thumb`);
    // The process is still serving, and the worker still makes thumbnails.
    await request(t.url).get('/health/live').expect(200);
    const next = await uploadReady(t.url, alice.accessToken, {
      body: await imageOf('png', 600, 600),
      contentType: 'image/png',
      purpose: 'avatar',
    });
    expect(await thumbnailOf(await withThumbnail(next.mediaId))).toMatchObject({ width: 256 });
  });

  it('refuses a decompression bomb from its header, before decoding it', async () => {
    const bomb = pngClaiming(100_000, 100_000);
    const { mediaId, data } = await uploadReady(t.url, alice.accessToken, {
      body: bomb,
      contentType: 'image/png',
      purpose: 'attachment',
    });
    expect(data).toMatchObject({ width: 100_000, height: 100_000 });
    const job = await failedJob(mediaId);
    expect(job.failedReason).toMatch(/pixel limit/i);
    expect(await read(mediaId)).toMatchObject({ status: 'ready', thumbnailUrl: null });
  });
});

describe('media: with WORKERS=off the API only enqueues; the worker module (worker.ts) makes the thumbnail', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let mediaDir: string;
  let worker: INestApplicationContext | undefined;

  beforeAll(async () => {
    mediaDir = mkdtempSync(path.join(tmpdir(), 'bc-thumbs-off-'));
    smtp = await startSmtpServer();
    t = await startTestApp({
      env: {
        SMTP_URL: smtp.url,
        MAIL_RETRY_BASE_MS: '50',
        MEDIA_LOCAL_DIR: mediaDir,
        WORKERS: 'off',
      },
    });
  });
  afterAll(async () => {
    await worker?.close();
    await t?.close();
    await smtp?.stop();
    if (mediaDir) rmSync(mediaDir, { recursive: true, force: true });
  });

  it('leaves the job waiting until a worker process (same Redis, database and storage) runs it', async () => {
    const queue = t.app.get<Queue>(getQueueToken(QueueName.Media), { strict: false });
    // Nothing in the API process registered the cleanup schedule.
    expect(await queue.getJobScheduler(MEDIA_CLEANUP_SCHEDULER_ID)).toBeUndefined();
    // Mails are processed by the worker too, so sign-up needs it running for the OTP.
    worker = await NestFactory.createApplicationContext(WorkerModule.forRoot(t.config), {
      logger: false,
    });
    await worker.init();
    const alice = await signUpBearer(t.url, smtpOtpReader(smtp));
    await worker.close();
    worker = undefined;

    const { mediaId } = await uploadReady(t.url, alice.accessToken, {
      body: await imageOf('png', 700, 700),
      contentType: 'image/png',
      purpose: 'avatar',
    });
    const job = await queue.getJob(thumbnailJobId(mediaId));
    expect(await job?.getState()).toBe('waiting');

    worker = await NestFactory.createApplicationContext(WorkerModule.forRoot(t.config), {
      logger: false,
    });
    await worker.init();
    const ready = await waitFor(
      'the worker to make the thumbnail',
      async () => {
        const data = (await getMedia(t.url, alice.accessToken, mediaId).expect(200)).body
          .data as MediaData;
        return data.thumbnailUrl ? data : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const thumbnail = await fetchMediaUrl(t.url, ready.thumbnailUrl ?? '');
    expect(await sharp(thumbnail.body).metadata()).toMatchObject({ width: 256, height: 256 });
    expect(await queue.getJobScheduler(MEDIA_CLEANUP_SCHEDULER_ID)).toMatchObject({
      every: 3_600_000,
    });
  });
});
