import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import type { MessageDto } from '../../src/modules/chat/chat.types';
import { startTestApp, type TestApp } from '../support/app';
import { clientId, groupOf, signUpUsers, type ChatUser } from '../support/chat';
import { expectErrorEnvelope } from '../support/envelope';
import {
  createIntent,
  fetchMediaUrl,
  getMedia,
  imageOf,
  PDF_HEAD,
  PNG_1x1,
  uploadReady,
} from '../support/media';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import {
  closeAllSockets,
  connectSocket,
  emitWithAck,
  nextEvent,
  type ChatClient,
} from '../support/socket';
import { waitFor } from '../support/wait';

const LOCAL_DOWNLOAD = /^\/api\/v1\/media\/local\/download\?token=[\w-]+\.[\w-]+$/;

describe('media wiring: avatars, group avatars, attachments and who may read them', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let mediaDir: string;
  let alice: ChatUser;
  let bob: ChatUser;
  let carol: ChatUser;
  let mallory: ChatUser;
  let group: string;

  const messagesOf = (id: string) => `/conversations/${id}/messages`;
  const upload = async (
    user: ChatUser,
    purpose: 'avatar' | 'attachment',
    body: Buffer = PNG_1x1,
    contentType = 'image/png',
    filename = 'file.png',
  ): Promise<string> =>
    (await uploadReady(t.url, user.session.accessToken, { body, contentType, purpose, filename }))
      .mediaId;
  const pending = async (user: ChatUser): Promise<string> =>
    (
      await createIntent(t.url, user.session.accessToken, {
        filename: 'later.png',
        contentType: 'image/png',
        size: PNG_1x1.length,
        purpose: 'attachment',
      })
    ).mediaId;
  const send = (user: ChatUser, conversationId: string, body: Record<string, unknown>) =>
    user.post(messagesOf(conversationId), { clientMessageId: clientId(), ...body });
  const mediaStatus = async (user: ChatUser, mediaId: string): Promise<number> =>
    (await getMedia(t.url, user.session.accessToken, mediaId)).status;

  beforeAll(async () => {
    mediaDir = mkdtempSync(path.join(tmpdir(), 'bc-wiring-'));
    smtp = await startSmtpServer();
    t = await startTestApp({
      env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50', MEDIA_LOCAL_DIR: mediaDir },
    });
    [alice, bob, carol, mallory] = await signUpUsers(t.url, smtp, 4);
    group = await groupOf(alice, [bob, carol], 'media');
  });
  afterEach(() => closeAllSockets());
  afterAll(async () => {
    closeAllSockets();
    await t?.close();
    await smtp?.stop();
    if (mediaDir) rmSync(mediaDir, { recursive: true, force: true });
  });

  describe('PATCH /users/me { avatarMediaId }', () => {
    it('takes a ready avatar of ones own; avatarUrl is a signed URL of its 256 px thumbnail', async () => {
      const avatar = await upload(alice, 'avatar', await imageOf('png', 400, 300));
      const res = await alice.patch('/users/me', { avatarMediaId: avatar }).expect(200);
      expect(res.body.data.avatarUrl).toMatch(LOCAL_DOWNLOAD);
      // Others see it too, and it works once the thumbnail job ran.
      const seen = await waitFor(
        'the avatar URL to point at the thumbnail',
        async () => {
          const profile = await bob.get(`/users/${alice.id}`).expect(200);
          const image = await fetchMediaUrl(t.url, profile.body.data.avatarUrl as string);
          return image.headers['content-type'] === 'image/webp' ? image : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 200 },
      );
      expect(await sharp(seen.body).metadata()).toMatchObject({ width: 256, height: 256 });
      // Members lists carry it as well.
      const conversation = await bob.get(`/conversations/${group}`).expect(200);
      const member = conversation.body.data.members.find(
        (entry: { userId: string }) => entry.userId === alice.id,
      );
      expect(member.avatarUrl).toMatch(LOCAL_DOWNLOAD);
    });

    it.each([
      ['someone else’s avatar', () => upload(bob, 'avatar'), 'must be a ready avatar you uploaded'],
      [
        'an attachment',
        () => upload(alice, 'attachment'),
        'is an attachment upload, not an avatar',
      ],
      ['an unknown id', () => Promise.resolve(randomUUID()), 'must be a ready avatar you uploaded'],
    ])('refuses %s with 422 MEDIA_NOT_READY, changing nothing', async (_, make, message) => {
      const mediaId = await make();
      const before = (await alice.get('/users/me').expect(200)).body.data;
      const err = expectErrorEnvelope(
        await alice.patch('/users/me', { avatarMediaId: mediaId, bio: 'changed?' }),
        422,
        'MEDIA_NOT_READY',
      );
      expect(err.details).toEqual([{ field: 'avatarMediaId', message }]);
      const after = (await alice.get('/users/me').expect(200)).body.data;
      expect(after.bio).toBe(before.bio);
    });

    it('refuses a pending avatar as not ready yet', async () => {
      const intent = await createIntent(t.url, carol.session.accessToken, {
        filename: 'me.png',
        contentType: 'image/png',
        size: PNG_1x1.length,
        purpose: 'avatar',
      });
      const err = expectErrorEnvelope(
        await carol.patch('/users/me', { avatarMediaId: intent.mediaId }),
        422,
        'MEDIA_NOT_READY',
      );
      expect(err.details?.[0]?.message).toMatch(/not ready \(pending\)/);
    });

    it('null removes the avatar', async () => {
      const avatar = await upload(carol, 'avatar');
      expect(
        (await carol.patch('/users/me', { avatarMediaId: avatar }).expect(200)).body.data.avatarUrl,
      ).toMatch(LOCAL_DOWNLOAD);
      const removed = await carol.patch('/users/me', { avatarMediaId: null }).expect(200);
      expect(removed.body.data.avatarUrl).toBeNull();
    });
  });

  describe('PATCH /conversations/:id { avatarMediaId }', () => {
    it('sets a group avatar (owner or admin, own ready avatar); members see its URL', async () => {
      const avatar = await upload(alice, 'avatar');
      const res = await alice.patch(`/conversations/${group}`, { avatarMediaId: avatar });
      expect(res.status).toBe(200);
      expect(res.body.data.avatarUrl).toMatch(LOCAL_DOWNLOAD);
      const seen = await bob.get(`/conversations/${group}`).expect(200);
      expect(seen.body.data.avatarUrl).toMatch(LOCAL_DOWNLOAD);
      expect((await fetchMediaUrl(t.url, seen.body.data.avatarUrl as string)).status).toBe(200);
      const listed = await bob.get('/conversations').expect(200);
      expect(
        listed.body.data.find((entry: { id: string }) => entry.id === group).avatarUrl,
      ).toMatch(LOCAL_DOWNLOAD);
    });

    it('refuses plain members (403), others’ media and attachments (422); null removes it', async () => {
      const bobs = await upload(bob, 'avatar');
      expectErrorEnvelope(
        await bob.patch(`/conversations/${group}`, { avatarMediaId: bobs }),
        403,
        'INSUFFICIENT_ROLE',
      );
      for (const mediaId of [bobs, await upload(alice, 'attachment')]) {
        const err = expectErrorEnvelope(
          await alice.patch(`/conversations/${group}`, { avatarMediaId: mediaId }),
          422,
          'MEDIA_NOT_READY',
        );
        expect(err.details?.[0]?.field).toBe('avatarMediaId');
      }
      const removed = await alice.patch(`/conversations/${group}`, { avatarMediaId: null });
      expect(removed.status).toBe(200);
      expect(removed.body.data.avatarUrl).toBeNull();
    });
  });

  describe('attachmentIds in messages', () => {
    it('sends ready attachments without a body; every member sees and downloads them, in order', async () => {
      const picture = await imageOf('png', 900, 600);
      const image = await upload(alice, 'attachment', picture, 'image/png', 'holiday.png');
      const pdf = await upload(alice, 'attachment', PDF_HEAD, 'application/pdf', 'notes.pdf');
      const res = await send(alice, group, { body: '   ', attachmentIds: [pdf, image] });
      expect(res.status).toBe(201);
      const message = res.body.data as MessageDto;
      expect(message.body).toBeNull();
      expect(message.attachments).toEqual([
        {
          id: pdf,
          filename: 'notes.pdf',
          contentType: 'application/pdf',
          size: PDF_HEAD.length,
          width: null,
          height: null,
          url: expect.stringMatching(LOCAL_DOWNLOAD),
          thumbnailUrl: null,
          urlExpiresAt: expect.any(String),
        },
        expect.objectContaining({ id: image, filename: 'holiday.png', width: 900, height: 600 }),
      ]);
      const download = await fetchMediaUrl(t.url, message.attachments[1].url);
      expect(download.body.equals(picture)).toBe(true);

      // History and the conversation list show them, with the thumbnail once made.
      const history = await waitFor(
        'the attachment thumbnail in history',
        async () => {
          const page = await bob.get(messagesOf(group)).expect(200);
          const found = (page.body.data as MessageDto[]).find((entry) => entry.id === message.id);
          return found?.attachments[1]?.thumbnailUrl ? found : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 200 },
      );
      expect(history.attachments.map((attachment) => attachment.id)).toEqual([pdf, image]);
      const thumbnail = await fetchMediaUrl(t.url, history.attachments[1].thumbnailUrl ?? '');
      expect(await sharp(thumbnail.body).metadata()).toMatchObject({ width: 512, height: 341 });
      const list = await carol.get('/conversations').expect(200);
      const entry = list.body.data.find((item: { id: string }) => item.id === group);
      expect(entry.lastMessage.attachments).toHaveLength(2);

      // Members may read the media; everyone else is told it does not exist.
      expect(await mediaStatus(bob, image)).toBe(200);
      expect(await mediaStatus(carol, pdf)).toBe(200);
      expectErrorEnvelope(
        await getMedia(t.url, mallory.session.accessToken, image),
        404,
        'MEDIA_NOT_FOUND',
      );
    });

    it('a retry with the same clientMessageId returns the same message (200)', async () => {
      const media = await upload(alice, 'attachment');
      const body = { clientMessageId: clientId(), attachmentIds: [media] };
      const first = await alice.post(messagesOf(group), body).expect(201);
      const retry = await alice.post(messagesOf(group), body).expect(200);
      expect(retry.body.data.id).toBe(first.body.data.id);
      expect(retry.body.data.attachments.map((a: { id: string }) => a.id)).toEqual([media]);
    });

    it('refuses a media item already attached to another message (409), even in a race', async () => {
      const media = await upload(alice, 'attachment');
      await send(alice, group, { attachmentIds: [media] }).expect(201);
      expectErrorEnvelope(
        await send(alice, group, { attachmentIds: [media] }),
        409,
        'MEDIA_ALREADY_ATTACHED',
      );
      const direct = (await alice.post('/conversations', { type: 'direct', userId: bob.id })).body
        .data.id as string;
      expectErrorEnvelope(
        await send(alice, direct, { attachmentIds: [media] }),
        409,
        'MEDIA_ALREADY_ATTACHED',
      );

      // Five different messages racing for one fresh media item: one wins, no seq is burnt.
      const contested = await upload(alice, 'attachment');
      const before = (await alice.get(`/conversations/${group}`).expect(200)).body.data
        .lastSeq as number;
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => send(alice, group, { attachmentIds: [contested] })),
      );
      const statuses = answers.map((answer) => answer.status).sort();
      expect(statuses).toEqual([201, 409, 409, 409, 409]);
      for (const answer of answers.filter((item) => item.status === 409)) {
        expect(answer.body.error.code).toBe('MEDIA_ALREADY_ATTACHED');
      }
      const after = await send(alice, group, { body: 'next' }).expect(201);
      expect(after.body.data.seq).toBe(before + 2);
    });

    it.each([
      ['someone else’s media', async () => [await upload(bob, 'attachment')], 'attachmentIds[0]'],
      ['a pending upload', async () => [await pending(alice)], 'attachmentIds[0]'],
      [
        'an avatar',
        async () => [await upload(alice, 'attachment'), await upload(alice, 'avatar')],
        'attachmentIds[1]',
      ],
      ['an unknown id', () => Promise.resolve([randomUUID()]), 'attachmentIds[0]'],
    ])('refuses %s with 422 MEDIA_NOT_READY naming the item', async (_, make, field) => {
      const ids = await make();
      const before = (await alice.get(`/conversations/${group}`).expect(200)).body.data.lastSeq;
      const err = expectErrorEnvelope(
        await send(alice, group, { body: 'with files', attachmentIds: ids }),
        422,
        'MEDIA_NOT_READY',
      );
      expect(err.details?.map((detail) => detail.field)).toEqual([field]);
      expect((await alice.get(`/conversations/${group}`).expect(200)).body.data.lastSeq).toBe(
        before,
      );
    });

    it('refuses 11 attachments and repeated ids with 422 VALIDATION_FAILED', async () => {
      const ids = await Promise.all(Array.from({ length: 11 }, () => upload(alice, 'attachment')));
      expectErrorEnvelope(
        await send(alice, group, { attachmentIds: ids }),
        422,
        'VALIDATION_FAILED',
      );
      // Ten is the limit, and it is fine.
      await send(alice, group, { attachmentIds: ids.slice(0, 10) }).expect(201);
      const one = await upload(alice, 'attachment');
      expectErrorEnvelope(
        await send(alice, group, { attachmentIds: [one, one] }),
        422,
        'VALIDATION_FAILED',
      );
      expectErrorEnvelope(
        await send(alice, group, { attachmentIds: [one, one.toUpperCase()] }),
        422,
        'VALIDATION_FAILED',
      );
      // Without attachments a body is still required.
      expectErrorEnvelope(await send(alice, group, { body: '  ' }), 422, 'VALIDATION_FAILED');
    });

    it('over Socket.IO: message:send with attachments acks them, message:new carries them', async () => {
      const connect = (user: ChatUser): Promise<ChatClient> =>
        connectSocket(t.url, { token: user.session.accessToken });
      const [aliceSocket, bobSocket] = await Promise.all([connect(alice), connect(bob)]);
      const media = await upload(alice, 'attachment', PDF_HEAD, 'application/pdf', 'a.pdf');
      const delivered = nextEvent<MessageDto>(
        bobSocket,
        'message:new',
        (message) => message.attachments[0]?.id === media,
        10_000,
      );
      const reply = await emitWithAck<MessageDto>(aliceSocket, 'message:send', {
        conversationId: group,
        clientMessageId: clientId(),
        attachmentIds: [media],
      });
      expect(reply).toMatchObject({ ok: true, data: { body: null } });
      expect((await delivered).attachments[0]).toMatchObject({ id: media, filename: 'a.pdf' });
      const refused = await emitWithAck(aliceSocket, 'message:send', {
        conversationId: group,
        clientMessageId: clientId(),
        attachmentIds: [media],
      });
      expect(refused).toMatchObject({ ok: false, error: { code: 'MEDIA_ALREADY_ATTACHED' } });
    });
  });

  describe('who may read an attachment', () => {
    it('members only: not after leaving, and not once the message is deleted', async () => {
      const [owner, member, leaver] = await signUpUsers(t.url, smtp, 3);
      const room = await groupOf(owner, [member, leaver], 'access');
      const kept = await upload(owner, 'attachment');
      const deleted = await upload(owner, 'attachment');
      await send(owner, room, { attachmentIds: [kept] }).expect(201);
      const doomed = await send(owner, room, { attachmentIds: [deleted] }).expect(201);
      // Before it was sent, only its owner could read it.
      const unsent = await upload(owner, 'attachment');
      expect(await mediaStatus(member, unsent)).toBe(404);
      expect(await mediaStatus(owner, unsent)).toBe(200);

      expect(await mediaStatus(member, kept)).toBe(200);
      expect(await mediaStatus(leaver, kept)).toBe(200);
      await leaver.delete(`/conversations/${room}/members/${leaver.id}`).expect(200);
      expectErrorEnvelope(
        await getMedia(t.url, leaver.session.accessToken, kept),
        404,
        'MEDIA_NOT_FOUND',
      );
      expect(await mediaStatus(member, kept)).toBe(200);

      expect(await mediaStatus(member, deleted)).toBe(200);
      await owner.delete(`${messagesOf(room)}/${doomed.body.data.id as string}`).expect(200);
      expect(await mediaStatus(member, deleted)).toBe(404);
      expect(await mediaStatus(owner, deleted)).toBe(200);
    });
  });
});
