import type { JsonSchema } from './class-schema';

/** One server → client event. */
export interface EmittedEvent {
  summary: string;
  /** A JSON Schema, usually `{ $ref: '#/components/schemas/…' }`. */
  payload: JsonSchema;
}

/** One client → server event, answered through the Socket.IO ack callback. */
export interface HandledEvent {
  summary: string;
  payload: JsonSchema;
  /** The `data` of a successful ack. */
  ackData: JsonSchema;
}

export interface SocketApiSpec {
  title: string;
  version: string;
  description: string;
  /** Handshake authentication schemes (AsyncAPI security scheme objects). */
  securitySchemes: Record<string, JsonSchema>;
  /** Server → client, keyed by event name. */
  emits: Record<string, EmittedEvent>;
  /** Client → server, keyed by event name. */
  handles: Record<string, HandledEvent>;
  /** Reserved Socket.IO events worth documenting (connect_error), sent by the server. */
  reserved: Record<string, EmittedEvent>;
  schemas: Record<string, JsonSchema>;
}

const CHANNEL = 'socket';

/** `message:send` → `messageSend` (AsyncAPI component keys allow no colon). */
export function asyncApiId(event: string): string {
  return event.replace(/[^A-Za-z0-9]+([A-Za-z0-9])/g, (_, next: string) => next.toUpperCase());
}

/**
 * An AsyncAPI 3.0 document of a Socket.IO namespace, seen from the server: one channel (the
 * default namespace), one message per event (its `name` is the Socket.IO event name), a `send`
 * operation per server → client event, and a `receive` operation per client → server event whose
 * `reply` is the ack.
 */
export function buildAsyncApiDocument(spec: SocketApiSpec): JsonSchema {
  const messages: Record<string, JsonSchema> = {};
  const channelMessages: Record<string, JsonSchema> = {};
  const operations: Record<string, JsonSchema> = {};
  const channelRef = { $ref: `#/channels/${CHANNEL}` };
  const addMessage = (id: string, message: JsonSchema): JsonSchema => {
    messages[id] = message;
    channelMessages[id] = { $ref: `#/components/messages/${id}` };
    return { $ref: `#/channels/${CHANNEL}/messages/${id}` };
  };

  for (const [event, doc] of [...Object.entries(spec.emits), ...Object.entries(spec.reserved)]) {
    const id = asyncApiId(event);
    const ref = addMessage(id, {
      name: event,
      title: event,
      summary: doc.summary,
      contentType: 'application/json',
      payload: doc.payload,
    });
    operations[`send${upperFirst(id)}`] = {
      action: 'send',
      channel: channelRef,
      summary: doc.summary,
      messages: [ref],
    };
  }

  for (const [event, doc] of Object.entries(spec.handles)) {
    const id = asyncApiId(event);
    const ref = addMessage(id, {
      name: event,
      title: event,
      summary: doc.summary,
      contentType: 'application/json',
      payload: doc.payload,
    });
    const ackRef = addMessage(`${id}Ack`, {
      name: `${event} (ack)`,
      title: `${event} ack`,
      summary: `The ack callback's argument for ${event}.`,
      contentType: 'application/json',
      payload: {
        oneOf: [
          {
            type: 'object',
            properties: { ok: { const: true }, data: doc.ackData },
            required: ['ok', 'data'],
            additionalProperties: false,
          },
          { $ref: '#/components/schemas/AckError' },
        ],
      },
    });
    operations[`receive${upperFirst(id)}`] = {
      action: 'receive',
      channel: channelRef,
      summary: doc.summary,
      messages: [ref],
      reply: { channel: channelRef, messages: [ackRef] },
    };
  }

  return {
    asyncapi: '3.0.0',
    info: { title: spec.title, version: spec.version, description: spec.description },
    defaultContentType: 'application/json',
    servers: {
      api: {
        host: 'localhost:3000',
        protocol: 'ws',
        pathname: '/socket.io',
        title: 'The API server (Socket.IO v4 on the HTTP port; use wss behind TLS)',
        security: Object.keys(spec.securitySchemes).map((name) => ({
          $ref: `#/components/securitySchemes/${name}`,
        })),
      },
    },
    channels: {
      [CHANNEL]: {
        address: '/',
        title: 'Socket.IO default namespace',
        description: 'Every event of the chat, both directions, on the default namespace.',
        servers: [{ $ref: '#/servers/api' }],
        messages: channelMessages,
      },
    },
    operations,
    components: {
      schemas: spec.schemas,
      messages,
      securitySchemes: spec.securitySchemes,
    },
  };
}

function upperFirst(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
