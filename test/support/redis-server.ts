import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, canConnect } from './ports';
import { waitFor, withDeadline } from './wait';

/** A private `redis-server` (no persistence) that a fault test may stop, kill and start again. */
export interface RedisServer {
  readonly port: number;
  /** redis://127.0.0.1:<port> */
  readonly url: string;
  readonly running: boolean;
  /** Starts it again on the same port (after stop or kill) and waits until it answers. */
  start(): Promise<void>;
  /** Clean shutdown (SIGTERM; nothing is saved) and waits for the process to exit. */
  stop(): Promise<void>;
  /** SIGKILL: the server vanishes as in a crash. Waits for the process to exit. */
  kill(): Promise<void>;
}

const START_TIMEOUT_MS = 5_000;
const STOP_TIMEOUT_MS = 5_000;

/**
 * Spawns `redis-server` on `port` (default: a free one) and resolves once it answers PING.
 * With `appendOnlyDir` it keeps an append-only file there, so data survives a stop and start.
 */
export async function startRedisServer(
  options: { port?: number; appendOnlyDir?: string } = {},
): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = async (): Promise<void> => {
    if (child) return;
    const spawned = spawn(
      'redis-server',
      [
        ...['--port', String(port), '--bind', '127.0.0.1', '--save', ''],
        ...(options.appendOnlyDir
          ? ['--dir', options.appendOnlyDir, '--appendonly', 'yes']
          : ['--appendonly', 'no']),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    spawned.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child = spawned;
    exited = new Promise((resolve) =>
      spawned.once('exit', () => {
        if (child === spawned) child = undefined;
        resolve();
      }),
    );
    await waitFor(
      `redis-server on port ${port}`,
      async () => {
        if (!child) throw new Error(`redis-server exited: ${stderr.trim() || 'no output'}`);
        return canConnect(port);
      },
      { timeoutMs: START_TIMEOUT_MS, intervalMs: 20 },
    );
  };

  const terminate = async (signal: NodeJS.Signals): Promise<void> => {
    if (!child) return;
    child.kill(signal);
    await withDeadline(`redis-server on port ${port} to exit`, exited, STOP_TIMEOUT_MS);
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get running() {
      return child !== undefined;
    },
    start,
    stop: () => terminate('SIGTERM'),
    kill: () => terminate('SIGKILL'),
  };
}
