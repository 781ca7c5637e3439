/**
 * Baseline for the idle-sockets and fan-out scenarios (own process): a bare Socket.IO server with
 * the Redis adapter, no auth and no persistence. Each socket joins a room of its own, as the app
 * joins `user:<id>`, plus one room per conversation listed in its handshake's `auth.rooms`.
 * PORT, REDIS_URL and REDIS_KEY_PREFIX from the environment.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import Redis from 'ioredis';
import { Server } from 'socket.io';

async function main(): Promise<void> {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const pub = new Redis(redisUrl);
  const sub = pub.duplicate();
  const http = createServer((req, res) => {
    res.writeHead(req.url === '/health/ready' ? 200 : 404).end();
  });
  const io = new Server(http, { serveClient: false });
  io.adapter(createAdapter(pub, sub, { key: `${process.env.REDIS_KEY_PREFIX ?? ''}socket.io` }));
  const seqs = new Map<string, number>();
  io.on('connection', (socket) => {
    const auth = socket.handshake.auth as { rooms?: unknown };
    const rooms = Array.isArray(auth.rooms)
      ? auth.rooms.filter((r): r is string => typeof r === 'string').map((r) => `conv:${r}`)
      : [];
    void socket.join([`user:${socket.id}`, ...rooms]);
    // The fan-out scenarios' traffic: relayed to the conversation's room (sender included, as the
    // app emits to every member's user room) in the shape of the app's message, then acked. No
    // auth, no validation, no persistence: the ceiling of Socket.IO + the Redis adapter.
    socket.on('message:send', (raw: unknown, ack?: (answer: unknown) => void) => {
      const payload = (raw ?? {}) as {
        conversationId?: string;
        clientMessageId?: string;
        body?: string;
      };
      const conversationId = String(payload.conversationId);
      const seq = (seqs.get(conversationId) ?? 0) + 1;
      seqs.set(conversationId, seq);
      const message = {
        id: randomUUID(),
        conversationId,
        seq,
        senderId: socket.id,
        clientMessageId: payload.clientMessageId ?? null,
        body: payload.body ?? null,
        replyToId: null,
        attachments: [],
        reactions: [],
        editedAt: null,
        deletedAt: null,
        createdAt: new Date().toISOString(),
      };
      io.to(`conv:${conversationId}`).emit('message:new', message);
      if (typeof ack === 'function') ack({ ok: true, data: message });
    });
  });
  const stop = (): void => {
    void io.close(() => {
      pub.disconnect();
      sub.disconnect();
      process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  await new Promise<void>((resolve) =>
    http.listen(Number(process.env.PORT ?? 3998), '127.0.0.1', resolve),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n`);
  process.exit(1);
});
