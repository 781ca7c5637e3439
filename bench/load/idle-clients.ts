/**
 * Socket clients for the idle-sockets scenario (own process): opens `count` Socket.IO connections
 * (websocket transport, tokens used round-robin as `auth: { token }`), at most `parallel` handshakes
 * at a time, prints one JSON line `{ connected, failed, firstError }`, then keeps them open and idle
 * until SIGTERM.
 */
import { io, type Socket } from 'socket.io-client';

export interface IdleClientsInput {
  url: string;
  tokens: string[];
  count: number;
  parallel?: number;
}

function connect(url: string, token: string | undefined): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = io(url, {
      auth: token === undefined ? undefined : { token },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      timeout: 20_000,
    });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

async function main(): Promise<void> {
  const input = JSON.parse(process.env.BENCH_WORKER_INPUT ?? '{}') as IdleClientsInput;
  const sockets: Socket[] = [];
  let failed = 0;
  let firstError: string | undefined;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < input.count) {
      const i = next++;
      const token = input.tokens.length > 0 ? input.tokens[i % input.tokens.length] : undefined;
      try {
        sockets.push(await connect(input.url, token));
      } catch (error) {
        failed += 1;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: input.parallel ?? 100 }, worker));
  process.stdout.write(`${JSON.stringify({ connected: sockets.length, failed, firstError })}\n`);
  process.on('SIGTERM', () => {
    for (const socket of sockets) socket.close();
    process.exit(0);
  });
  setInterval(() => undefined, 60_000);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n`);
  process.exit(1);
});
