import 'reflect-metadata';
import { MESSAGE_MAPPING_METADATA, MESSAGE_METADATA } from '@nestjs/websockets/constants';
import request from 'supertest';
import {
  CLIENT_TO_SERVER_EVENTS,
  SERVER_TO_CLIENT_EVENTS,
  type SendMessageEventPayload,
} from '../../src/contract';
import { CLIENT_MESSAGE_ID_PATTERN } from '../../src/modules/chat/chat.rules';
import { ChatGateway } from '../../src/modules/chat/chat.gateway';
import { startTestApp, type TestApp } from '../support/app';
import { expectErrorEnvelope } from '../support/envelope';

// A parsed JSON document walked by path; its shape is what the assertions check.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/** Resolves a local JSON pointer (`#/a/b`) in `doc`, or undefined. */
function resolvePointer(doc: Json, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(key in node)) return undefined;
    node = (node as Json)[key];
  }
  return node;
}

/** Every `$ref` string anywhere in the document. */
function refsIn(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) for (const item of node) refsIn(item, found);
  else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') found.push(value);
      else refsIn(value, found);
    }
  }
  return found;
}

/** The event names the gateway's @SubscribeMessage handlers listen to. */
function gatewayEvents(): string[] {
  const proto = ChatGateway.prototype as unknown as Record<string, unknown>;
  return Object.getOwnPropertyNames(proto)
    .map((name) => proto[name])
    .filter((fn): fn is object => typeof fn === 'function')
    .filter((fn) => Reflect.getMetadata(MESSAGE_MAPPING_METADATA, fn) === true)
    .map((fn) => Reflect.getMetadata(MESSAGE_METADATA, fn) as string);
}

describe('AsyncAPI document (GET /docs/asyncapi.json)', () => {
  let t: TestApp;
  let doc: Json;

  beforeAll(async () => {
    t = await startTestApp();
    const res = await request(t.url).get('/docs/asyncapi.json').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    doc = res.body as Json;
  });
  afterAll(async () => {
    await t?.close();
  });

  /** An operation's message reference → the channel's message (a $ref) → the components message. */
  const messageAt = (ref: string): Json =>
    resolvePointer(doc, (resolvePointer(doc, ref) as Json).$ref as string) as Json;

  /** Message names of the operations with this action. */
  const namesOf = (action: 'send' | 'receive'): string[] =>
    Object.values(doc.operations as Record<string, Json>)
      .filter((op) => op.action === action)
      .flatMap((op) => (op.messages as Json[]).map((m) => messageAt(m.$ref as string)))
      .map((message) => message.name as string);

  it('is an AsyncAPI 3.0.0 document with info, a server and the handshake security', () => {
    expect(doc.asyncapi).toBe('3.0.0');
    expect(doc.info).toMatchObject({ title: expect.any(String), version: '1' });
    expect(doc.info.description).toContain('connect_error');
    const server = doc.servers.api as Json;
    expect(server).toMatchObject({ protocol: 'ws', pathname: '/socket.io' });
    expect(server.security.length).toBeGreaterThanOrEqual(2);
    expect(doc.components.securitySchemes.accessTokenCookie).toMatchObject({
      type: 'httpApiKey',
      in: 'cookie',
      name: 'access_token',
    });
  });

  it('resolves every $ref and every operation channel', () => {
    const refs = refsIn(doc);
    expect(refs.length).toBeGreaterThan(30);
    const broken = refs.filter((ref) => resolvePointer(doc, ref) === undefined);
    expect(broken).toEqual([]);
    for (const [id, op] of Object.entries(doc.operations as Record<string, Json>)) {
      const channelRef = op.channel.$ref as string;
      expect([id, resolvePointer(doc, channelRef) !== undefined]).toEqual([id, true]);
      // An operation's messages must be messages of its channel.
      for (const message of op.messages as Json[]) {
        expect(message.$ref).toMatch(new RegExp(`^${channelRef}/messages/`));
      }
      if (op.reply) {
        for (const message of op.reply.messages as Json[]) {
          expect(message.$ref).toMatch(new RegExp(`^${op.reply.channel.$ref as string}/messages/`));
        }
      }
    }
  });

  it('documents every server → client event as a send operation, and nothing else', () => {
    expect(namesOf('send').sort()).toEqual([...SERVER_TO_CLIENT_EVENTS, 'connect_error'].sort());
  });

  it('documents every client → server event as a receive operation with an ack reply', () => {
    expect(namesOf('receive').sort()).toEqual([...CLIENT_TO_SERVER_EVENTS].sort());
    for (const op of Object.values(doc.operations as Record<string, Json>)) {
      if (op.action !== 'receive') continue;
      const event = messageAt(op.messages[0].$ref as string).name as string;
      const message = messageAt(op.reply.messages[0].$ref as string);
      expect(message.name).toBe(`${event} (ack)`);
      expect(message.payload.oneOf).toHaveLength(2);
      expect(message.payload.oneOf[1]).toEqual({ $ref: '#/components/schemas/AckError' });
    }
  });

  it('covers every @SubscribeMessage handler of the gateway', () => {
    const handled = gatewayEvents();
    expect(handled.length).toBeGreaterThan(0);
    expect(handled.sort()).toEqual([...CLIENT_TO_SERVER_EVENTS].sort());
    expect(namesOf('receive')).toEqual(expect.arrayContaining(handled));
  });

  it('takes the client payload schemas from the DTOs the gateway validates with', () => {
    const schema = doc.components.schemas.SendMessagePayload as Json;
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['clientMessageId', 'conversationId']);
    expect(schema.properties.clientMessageId).toMatchObject({
      type: 'string',
      pattern: CLIENT_MESSAGE_ID_PATTERN.source,
    });
    expect(schema.properties.conversationId).toEqual({ type: 'string', format: 'uuid' });
    expect(schema.properties.attachmentIds).toMatchObject({
      type: 'array',
      uniqueItems: true,
      items: { type: 'string', format: 'uuid' },
    });
    // The SDK's payload type and the DTO agree on the fields.
    const sdkFields = {
      conversationId: true,
      clientMessageId: true,
      body: true,
      replyToId: true,
      attachmentIds: true,
    } satisfies Record<keyof SendMessageEventPayload, true>;
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(sdkFields).sort());
    expect(doc.components.schemas.ReadPayload).toMatchObject({
      required: ['conversationId', 'seq'],
      properties: { seq: { type: 'integer', minimum: 0 } },
    });
    expect(doc.components.schemas.RefreshPayload.properties.token).toMatchObject({
      type: 'string',
      minLength: 1,
      maxLength: 4096,
    });
  });

  it('is referenced from the OpenAPI description', async () => {
    const openapi = await request(t.url).get('/docs-json').expect(200);
    expect(openapi.body.info.description).toContain('/docs/asyncapi.json');
  });
});

describe('AsyncAPI document with DOCS_ENABLED=false', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { DOCS_ENABLED: 'false' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is not served', async () => {
    expectErrorEnvelope(await request(t.url).get('/docs/asyncapi.json'), 404, 'ROUTE_NOT_FOUND');
  });
});
