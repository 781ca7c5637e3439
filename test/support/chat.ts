import { EventEmitter2 } from '@nestjs/event-emitter';
import type { INestApplication } from '@nestjs/common';
import request, { type Test } from 'supertest';
import { ChatEvent } from '../../src/modules/chat/chat.events';
import { signUpBearer, type BearerSession } from './auth';
import { extractOtp, sentTo, type TestSmtpServer } from './smtp';

/** A signed-up user and an authenticated request builder for the API (paths below /api/v1). */
export interface ChatUser {
  id: string;
  session: BearerSession;
  get(path: string): Test;
  post(path: string, body?: unknown): Test;
  put(path: string, body?: unknown): Test;
  patch(path: string, body?: unknown): Test;
  delete(path: string): Test;
}

export function asUser(url: string, session: BearerSession): ChatUser {
  const auth = (test: Test): Test => test.set('Authorization', `Bearer ${session.accessToken}`);
  const withBody = (test: Test, body: unknown): Test =>
    body === undefined ? auth(test) : auth(test).send(body as object);
  return {
    id: session.userId,
    session,
    get: (path) => auth(request(url).get(`/api/v1${path}`)),
    post: (path, body = {}) => withBody(request(url).post(`/api/v1${path}`), body),
    put: (path, body) => withBody(request(url).put(`/api/v1${path}`), body),
    patch: (path, body = {}) => withBody(request(url).patch(`/api/v1${path}`), body),
    delete: (path) => auth(request(url).delete(`/api/v1${path}`)),
  };
}

/** Signs up `count` users through the real register → mailed OTP → verify flow, in parallel. */
export async function signUpUsers(
  url: string,
  smtp: TestSmtpServer,
  count: number,
): Promise<ChatUser[]> {
  const readOtp = async (email: string): Promise<string> =>
    extractOtp(await smtp.waitForMessage(sentTo(email), 15_000));
  const sessions = await Promise.all(
    Array.from({ length: count }, () => signUpBearer(url, readOtp)),
  );
  return sessions.map((session) => asUser(url, session));
}

/** Opens (or gets) the direct conversation of `a` with `b`; returns its id. */
export async function directBetween(a: ChatUser, b: ChatUser): Promise<string> {
  const res = await a.post('/conversations', { type: 'direct', userId: b.id });
  if (res.status !== 201 && res.status !== 200) {
    throw new Error(`direct conversation failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body.data.id as string;
}

export async function groupOf(
  owner: ChatUser,
  members: ChatUser[],
  name = 'group',
): Promise<string> {
  const res = await owner.post('/conversations', {
    type: 'group',
    name,
    memberIds: members.map((member) => member.id),
  });
  if (res.status !== 201) {
    throw new Error(`group creation failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body.data.id as string;
}

let clientIds = 0;
/** A fresh clientMessageId. */
export function clientId(prefix = 'm'): string {
  clientIds += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${clientIds}`;
}

export async function sendText(
  user: ChatUser,
  conversationId: string,
  body = 'hello',
): Promise<{ id: string; seq: number }> {
  const res = await user.post(`/conversations/${conversationId}/messages`, {
    clientMessageId: clientId(),
    body,
  });
  if (res.status !== 201) {
    throw new Error(`send failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return { id: res.body.data.id as string, seq: res.body.data.seq as number };
}

export interface RecordedEvent {
  name: string;
  recipients: string[];
  payload: unknown;
}

/** Records every chat domain event the app emits until `stop()`. */
export function recordChatEvents(app: INestApplication): {
  events: RecordedEvent[];
  named(name: string): RecordedEvent[];
  clear(): void;
  stop(): void;
} {
  const emitter = app.get(EventEmitter2);
  const events: RecordedEvent[] = [];
  const listeners = Object.values(ChatEvent).map((name) => {
    const listener = (event: { recipients: string[]; payload?: unknown }): void => {
      events.push({ name, recipients: [...event.recipients], payload: event.payload ?? event });
    };
    emitter.on(name, listener);
    return { name, listener };
  });
  return {
    events,
    named: (name) => events.filter((event) => event.name === name),
    clear: () => {
      events.length = 0;
    },
    stop: () => {
      for (const { name, listener } of listeners) emitter.off(name, listener);
    },
  };
}
