import fc from 'fast-check';
import * as wsPayloads from '../../src/modules/chat/ws-payloads';
import { WS_MAX_PACKET_BYTES } from '../../src/infra/websocket/redis-io.adapter';
import { startTestApp, type TestApp } from '../support/app';
import { asUser, directBetween, groupOf, sendText, type ChatUser } from '../support/chat';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp';
import {
  closeAllSockets,
  connectSocket,
  emitArgsWithAck,
  emitNoAck,
  emitWithAck,
  type ChatClient,
} from '../support/socket';
import { signUpClient } from '../support/users';
import { waitFor } from '../support/wait';
import { checkAck, DatabaseFingerprint, expectAlive } from './support/invariants';
import { assertProperty, fuzzSettings, FuzzSummary } from './support/settings';
import {
  deepValue,
  hostileValue,
  hugeString,
  ownObject,
  payloadFields,
  type PayloadField,
  subscribedEvents,
} from './support/socket-events';
import { hostileString, rawNumberLiteral } from './support/hostile';

const settings = fuzzSettings({ restRuns: 40, socketRuns: 60 });
const ACK_TIMEOUT_MS = 10_000;

/** Valid text, or valid text with NUL, an unpaired surrogate or a bidi override slipped in. */
function withInjected(text: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: text },
    fc
      .tuple(text, fc.constantFrom('\u0000', '\uD800', '\uDC00', '\u202E'), fc.nat())
      .map(([value, char, at]) => {
        const position = at % (value.length + 1);
        return `${value.slice(0, position)}${char}${value.slice(position)}`;
      }),
  );
}

/** A payload class exported by ws-payloads.ts and its validated fields. */
interface PayloadClass {
  name: string;
  fields: PayloadField[];
}

/** One emit: how the arguments are laid out around the payload. */
type Shape = 'payload+ack' | 'ack only' | 'extra args+ack' | 'no ack' | 'unknown event';

interface SocketInput {
  shape: Shape;
  payload: unknown;
  extra: unknown[];
  label: string;
}

/** Rough wire size of a payload (binary counted as bytes), to know when the packet cap applies. */
function wireSize(value: unknown): number {
  try {
    return Buffer.byteLength(
      JSON.stringify(value, (_key, item: unknown) =>
        Buffer.isBuffer(item) || item instanceof Uint8Array ? 'x'.repeat(item.length) : item,
      ) ?? '',
    );
  } catch {
    return 0;
  }
}

/**
 * Property-based fuzzing of every client→server Socket.IO event the gateways register (read from
 * Nest's metadata). Payloads: hostile values of any type, binary, objects built from the payload
 * DTOs' fields with valid or hostile values, prototype keys, deep nesting, huge strings; emitted
 * with an ack, without one, with no payload or extra arguments. Invariants: every ack is
 * `{ ok: true, data }` or `{ ok: false, error: { code, message } }` with a known non-5xx code; an
 * event without an ack leaves the socket working; a refused event changes no row; only a packet
 * over the transport's cap may cost the connection; the process stays alive.
 */
describe('fuzz: Socket.IO client events from the gateway metadata', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let fingerprint: DatabaseFingerprint;
  let user: ChatUser;
  let socket: ChatClient;
  let events: string[];
  let direct: string;
  let group: string;
  let messageId: string;
  const summary = new FuzzSummary();

  const connect = async (): Promise<ChatClient> =>
    connectSocket(t.url, { token: user.session.accessToken, timeoutMs: 10_000 });

  beforeAll(async () => {
    console.log(
      `Socket fuzz: seed ${settings.seed}, ${settings.socketRuns} runs per event (FUZZ_SEED, FUZZ_RUNS)`,
    );
    smtp = await startSmtpServer();
    t = await startTestApp({ env: { SMTP_URL: smtp.url, MAIL_RETRY_BASE_MS: '50' } });
    const [a, b] = await Promise.all([signUpClient(t.url, smtp), signUpClient(t.url, smtp)]);
    user = asUser(t.url, a.session);
    const peer = asUser(t.url, b.session);
    direct = await directBetween(user, peer);
    group = await groupOf(user, [peer], 'fuzz group');
    messageId = (await sendText(user, direct, 'fuzz target')).id;
    events = subscribedEvents(t.app);
    // A second socket of the same user stays up throughout, so the fuzzed one reconnecting never
    // takes the user offline (which writes users.last_seen_at while a run is measuring).
    await connect();
    socket = await connect();
    fingerprint = await DatabaseFingerprint.open(t.database!.url);
  }, 60_000);

  afterAll(async () => {
    closeAllSockets();
    await fingerprint?.close();
    await t?.close();
    await smtp?.stop();
  });

  it('the ack check refuses what the contract forbids', () => {
    expect(checkAck({ ok: true, data: null }).ok).toBe(true);
    expect(checkAck({ ok: false, error: { code: 'NOT_FOUND', message: 'x' } }).ok).toBe(false);
    for (const bad of [
      undefined,
      'ok',
      { ok: 'yes' },
      { ok: true },
      { ok: false, error: { code: 'INTERNAL_ERROR', message: 'Internal server error' } },
      { ok: false, error: { code: 'NO_SUCH_CODE', message: 'x' } },
      { ok: false, error: { code: 'NOT_FOUND', message: '' } },
      { ok: false, error: { code: 'NOT_FOUND', message: 'x', stack: 'at ...' } },
    ]) {
      expect(() => checkAck(bad)).toThrow();
    }
  });

  it('finds the contract events among the gateway subscriptions', () => {
    expect(events).toEqual(
      expect.arrayContaining([
        'message:send',
        'message:read',
        'typing:start',
        'typing:stop',
        'auth:refresh',
      ]),
    );
  });

  /** Values per payload field: mostly valid or near-valid, often hostile. */
  const fieldValue = (field: string): fc.Arbitrary<unknown> => {
    const ids = fc.oneof(fc.constantFrom(direct, group, messageId, user.id), fc.uuid());
    const conversations = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(direct, group) },
      { weight: 1, arbitrary: ids },
    );
    const valid: Record<string, fc.Arbitrary<unknown>> = {
      conversationId: conversations,
      replyToId: ids,
      attachmentIds: fc.oneof(
        { weight: 3, arbitrary: fc.constant([]) },
        fc.array(ids, { maxLength: 3 }),
      ),
      clientMessageId: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
      body: withInjected(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 })),
      seq: fc.integer({ min: 0, max: 50 }),
      token: fc.constantFrom(user.session.accessToken, `${user.session.accessToken}x`),
    };
    const hostile = fc.oneof(
      hostileValue,
      hostileString,
      rawNumberLiteral.map((text) => Number(text)),
      deepValue,
    );
    return valid[field] ? fc.oneof({ weight: 5, arbitrary: valid[field] }, hostile) : hostile;
  };

  /** An object with one payload class's fields (most present, most valid), sometimes a hostile key more. */
  const payloadArbitrary = (
    event: string,
    payloads: PayloadClass[],
  ): fc.Arbitrary<[unknown, string]> => {
    const fields = [...new Set(payloads.flatMap((p) => p.fields.map((field) => field.name)))];
    // Every payload class is tried for every event; the one whose name shares words with the
    // event (SendMessagePayload ~ message:send) more often, so valid payloads reach the services.
    const words = event
      .toLowerCase()
      .split(/[^a-z]+/)
      .filter(Boolean);
    const classes = fc.oneof(
      ...payloads.map((payload) => ({
        weight: 1 + 4 * words.filter((word) => payload.name.toLowerCase().includes(word)).length,
        arbitrary: fc.constant(payload.fields),
      })),
    );
    const shaped = fc
      .tuple(
        classes.chain((set) =>
          fc.tuple(
            ...set.map(({ name, optional }) =>
              fc
                .tuple(fc.integer({ min: 0, max: 9 }), fieldValue(name))
                .map(([dice, value]) => [name, optional ? dice < 5 : dice > 0, value] as const),
            ),
          ),
        ),
        fc.oneof(
          { weight: 4, arbitrary: fc.constant<[string, unknown][]>([]) },
          fc
            .tuple(fc.constantFrom('__proto__', 'constructor', 'extra', ...fields), hostileValue)
            .map((entry) => [entry]),
        ),
      )
      .map(([parts, extras]): [unknown, string] => {
        const entries = parts
          .filter(([, present]) => present)
          .map(([field, , value]) => [field, value] as const);
        return [
          ownObject([...entries, ...extras]),
          `object {${entries.map(([k]) => k).join(',')}}${extras.length ? ` + ${extras[0][0]}` : ''}`,
        ];
      });
    return fc.oneof(
      { weight: 6, arbitrary: shaped },
      { weight: 2, arbitrary: hostileValue.map((v): [unknown, string] => [v, 'any value']) },
      {
        weight: 1,
        arbitrary: fc
          .uint8Array({ maxLength: 2048 })
          .map((bytes): [unknown, string] => [Buffer.from(bytes), 'binary']),
      },
      {
        weight: 1,
        arbitrary: fc
          .tuple(fc.constantFrom(...fields, 'x'), hugeString)
          .map(([field, text]): [unknown, string] => [{ [field]: text }, `huge ${field}`]),
      },
      {
        weight: 1,
        arbitrary: deepValue.map((v): [unknown, string] => [{ conversationId: v }, 'deep']),
      },
    );
  };

  const inputArbitrary = (event: string, payloads: PayloadClass[]): fc.Arbitrary<SocketInput> =>
    fc
      .tuple(
        fc.constantFrom<Shape>(
          'payload+ack',
          'payload+ack',
          'payload+ack',
          'payload+ack',
          'ack only',
          'extra args+ack',
          'no ack',
          'unknown event',
        ),
        payloadArbitrary(event, payloads),
        fc.array(hostileValue, { minLength: 1, maxLength: 3 }),
      )
      .map(([shape, [payload, label], extra]) => ({ shape, payload, extra, label }));

  /** The socket still answers: a valid typing:stop gets a well-formed ack. */
  const probe = async (): Promise<void> => {
    checkAck(await emitWithAck(socket, 'typing:stop', { conversationId: direct }, ACK_TIMEOUT_MS));
  };

  it(
    'holds the invariants for every event',
    async () => {
      expect(events.length).toBeGreaterThan(0);
      const payloads = Object.entries(wsPayloads)
        .map(([name, type]) => ({ name, fields: payloadFields(type) }))
        .filter((payload) => payload.fields.length > 0);
      expect(payloads.flatMap((p) => p.fields.map((field) => field.name))).toEqual(
        expect.arrayContaining(['conversationId', 'seq', 'token']),
      );
      const failures: string[] = [];
      for (const event of events) {
        const property = fc.asyncProperty(inputArbitrary(event, payloads), async (input) => {
          if (!socket.connected) socket = await connect();
          const before = await fingerprint.take();
          const oversized = wireSize([input.payload, ...input.extra]) > WS_MAX_PACKET_BYTES - 1024;
          if (oversized) {
            // Socket.IO closes a connection whose packet exceeds maxHttpBufferSize: allowed, and
            // only for such packets; the socket must be able to come back.
            emitNoAck(socket, event, input.payload, ...input.extra);
            const closed = await waitFor(
              'the oversized packet to close the socket',
              () => !socket.connected,
              {
                timeoutMs: 3_000,
              },
            ).catch(() => false);
            summary.count(event, closed ? 'oversized: disconnected' : 'oversized: kept');
            if (closed) socket = await connect();
            else await probe();
            return;
          }
          try {
            let ack: unknown;
            switch (input.shape) {
              case 'payload+ack':
                ack = await emitWithAck(socket, event, input.payload, ACK_TIMEOUT_MS);
                break;
              case 'ack only':
                ack = await emitArgsWithAck(socket, event, [], ACK_TIMEOUT_MS);
                break;
              case 'extra args+ack':
                ack = await emitArgsWithAck(
                  socket,
                  event,
                  [input.payload, ...input.extra],
                  ACK_TIMEOUT_MS,
                );
                break;
              case 'no ack':
                emitNoAck(socket, event, input.payload);
                await probe();
                break;
              case 'unknown event':
                emitNoAck(socket, `${event}:x`, input.payload);
                await probe();
                break;
            }
            if (ack !== undefined) {
              const answer = checkAck(ack);
              summary.count(
                event,
                (answer.ok ? 'ok' : answer.error!.code) +
                  (process.env.FUZZ_DEBUG ? ` (${input.shape}; ${input.label})` : ''),
              );
              if (!answer.ok) {
                DatabaseFingerprint.expectSame(
                  before,
                  await fingerprint.take(),
                  `a refused ${event}`,
                );
              }
            } else {
              summary.count(event, input.shape);
            }
          } catch (error) {
            throw new Error(
              `${event} [${input.shape}; ${input.label}] → ${(error as Error).message}`,
            );
          }
          if (!socket.connected) {
            throw new Error(
              `${event} [${input.shape}; ${input.label}] → the server disconnected the socket`,
            );
          }
        });
        try {
          await assertProperty(event, settings, settings.socketRuns, property);
        } catch (error) {
          failures.push((error as Error).message);
          console.error((error as Error).message);
        }
        await expectAlive(t.url);
        if (!socket.connected) socket = await connect();
        await probe();
      }
      summary.print('Socket fuzz', settings, settings.socketRuns);
      expect(failures).toEqual([]);
    },
    Math.max(170_000, settings.socketRuns * 2_000),
  );
});
