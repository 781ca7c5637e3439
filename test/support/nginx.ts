import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { renderNginxConfig } from '../../scripts/lib/nginx-config';
import { canConnect, freePort } from './ports';
import { waitFor, withDeadline } from './wait';

export interface Nginx {
  readonly port: number;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** The generated nginx.conf (for a failing test's message). */
  readonly config: string;
  /** nginx's error log so far. */
  errorLog(): string;
  /** SIGTERM (fast shutdown: open WebSockets are closed), waits for exit, removes the temp dir. */
  stop(): Promise<void>;
}

/** The nginx binary: $NGINX_BIN, else `nginx` on PATH, else Debian's /usr/sbin/nginx. */
export function nginxBinary(): string | undefined {
  if (process.env.NGINX_BIN) return process.env.NGINX_BIN;
  const found = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  const onPath = found.status === 0 ? found.stdout.trim() : '';
  if (onPath) return onPath;
  return existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : undefined;
}

/**
 * A real nginx in front of `upstreams` (loopback ports) running deploy/nginx.conf itself (through
 * scripts/lib/nginx-config.ts: only addresses and paths are rewritten), but round-robin instead of
 * ip_hash: every test client comes from 127.0.0.1, and WebSocket-only clients need no stickiness.
 * Everything nginx writes goes to a temp dir; it runs in the foreground as this process's child
 * and dies with `stop()`.
 */
export async function startNginx(upstreams: readonly number[]): Promise<Nginx> {
  const binary = nginxBinary();
  if (!binary) {
    throw new Error(
      'nginx is not installed: run the tests with `npm test` (scripts/test.sh installs it), or `apt-get install -y nginx-light`',
    );
  }
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'baatcheet-nginx-'));
  // Workers run as an unprivileged user when nginx starts as root: they must reach the temp dirs.
  chmodSync(dir, 0o755);
  const config = renderConfig(dir, port, upstreams);
  const configPath = path.join(dir, 'nginx.conf');
  writeFileSync(configPath, config);

  const child: ChildProcess = spawn(
    binary,
    ['-p', dir, '-c', configPath, '-e', path.join(dir, 'error.log')],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const errorLog = (): string => {
    try {
      return readFileSync(path.join(dir, 'error.log'), 'utf8');
    } catch {
      return '';
    }
  };
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM');
      await withDeadline('nginx to exit', exit, 5_000).catch(async () => {
        child.kill('SIGKILL');
        await exit;
      });
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitFor(
      `nginx on 127.0.0.1:${port}`,
      async () => {
        if (exited) throw new Error(`nginx exited: ${stderr.trim()} ${errorLog().trim()}`);
        return canConnect(port);
      },
      { timeoutMs: 5_000, intervalMs: 25 },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, url: `http://127.0.0.1:${port}`, config, errorLog, stop };
}

function renderConfig(dir: string, port: number, upstreams: readonly number[]): string {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  return renderNginxConfig({
    dir,
    listen: `127.0.0.1:${port}`,
    upstreams: upstreams.map((upstream) => `127.0.0.1:${upstream}`),
    balance: 'round_robin',
    workers: 1,
    user: isRoot ? 'nobody nogroup' : undefined,
  });
}
