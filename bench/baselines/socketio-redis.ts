/**
 * Baseline for the idle-sockets scenario (own process): a bare Socket.IO server with the Redis
 * adapter, no auth and no persistence. Each socket joins a room of its own, as the app joins
 * `user:<id>`. PORT, REDIS_URL and REDIS_KEY_PREFIX from the environment.
 */
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
  io.on('connection', (socket) => {
    void socket.join(`user:${socket.id}`);
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
