import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from './ports';
import { waitFor } from './wait';

/**
 * A private, throw-away PostgreSQL cluster (initdb + pg_ctl, trust auth, fsync off) in a temp
 * dir on its own loopback port, that a fault test may stop and start again without touching the
 * shared server every other test uses.
 */
export interface PostgresServer {
  readonly port: number;
  /** Admin URL (database `postgres`, user `postgres`): what TEST_DATABASE_URL takes. */
  readonly url: string;
  readonly dataDir: string;
  readonly running: boolean;
  /** Starts the stopped cluster on the same port and waits until it takes a `select 1`. */
  start(): Promise<void>;
  /**
   * Stops the server: `fast` (SIGINT: clients are told "terminating connection due to
   * administrator command") or `immediate` (SIGQUIT: no clean shutdown, crash recovery on start).
   */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** The server log (for a failing test's message). */
  log(): string;
  /** Stops the server and removes the cluster. */
  destroy(): Promise<void>;
}

/** Debian's server binaries: $PG_BINDIR, else the newest /usr/lib/postgresql/<major>/bin. */
export function postgresBinDir(): string | undefined {
  if (process.env.PG_BINDIR) return process.env.PG_BINDIR;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  for (const major of majors) {
    const bin = path.join(root, major, 'bin');
    if (existsSync(path.join(bin, 'initdb')) && existsSync(path.join(bin, 'pg_ctl'))) return bin;
  }
  return undefined;
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** initdb and postgres refuse to run as root: as root, run them as the `postgres` user. */
function runAsOwner(command: string, args: string[], timeoutMs: number): SpawnSyncReturns<string> {
  const [file, argv] = isRoot
    ? ['runuser', ['-u', 'postgres', '--', command, ...args]]
    : [command, args];
  return spawnSync(file, argv, { cwd: '/', encoding: 'utf8', timeout: timeoutMs });
}

/** Like runAsOwner, without blocking this process's event loop (clients keep running meanwhile). */
function runAsOwnerAsync(
  command: string,
  args: string[],
  timeoutMs: number,
): Promise<SpawnSyncReturns<string>> {
  const [file, argv] = isRoot
    ? ['runuser', ['-u', 'postgres', '--', command, ...args]]
    : [command, args];
  return new Promise((resolve) => {
    const child = spawn(file, argv, { cwd: '/', timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', (error) =>
      resolve({ pid: 0, output: [], stdout, stderr, status: null, signal: null, error }),
    );
    child.once('close', (status, signal) =>
      resolve({ pid: child.pid ?? 0, output: [], stdout, stderr, status, signal }),
    );
  });
}

function check(result: SpawnSyncReturns<string>, what: string): void {
  if (result.status === 0) return;
  const reason = result.error ? String(result.error) : `exit ${result.status ?? result.signal}`;
  throw new Error(`${what} failed (${reason}): ${result.stdout ?? ''} ${result.stderr ?? ''}`);
}

async function acceptsQueries(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function startPostgresServer(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (!bin) {
    throw new Error(
      'PostgreSQL server binaries not found: `apt-get install -y postgresql` (or set PG_BINDIR)',
    );
  }
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'baatcheet-chaos-pg-'));
  if (isRoot) {
    const owner = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const group = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (owner.status !== 0) throw new Error('running as root needs a `postgres` user for initdb');
    chownSync(dataDir, Number(owner.stdout.trim()), Number(group.stdout.trim()));
  }
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const logFile = path.join(dataDir, 'server.log');
  const pgCtl = path.join(bin, 'pg_ctl');
  let running = false;

  check(
    runAsOwner(
      path.join(bin, 'initdb'),
      ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C.UTF-8'],
      120_000,
    ),
    'initdb',
  );

  const start = async (): Promise<void> => {
    if (running) return;
    const options = [
      `-c listen_addresses=127.0.0.1 -p ${port} -k ${dataDir}`,
      '-c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off',
    ].join(' ');
    check(
      await runAsOwnerAsync(
        pgCtl,
        ['-D', dataDir, '-l', logFile, '-w', '-t', '30', '-o', options, 'start'],
        40_000,
      ),
      `pg_ctl start on port ${port}`,
    );
    running = true;
    await waitFor(`PostgreSQL on 127.0.0.1:${port} to take queries`, () => acceptsQueries(url), {
      timeoutMs: 20_000,
      intervalMs: 100,
    });
  };

  const stop = async (mode: 'fast' | 'immediate' = 'fast'): Promise<void> => {
    if (!running) return;
    check(
      await runAsOwnerAsync(pgCtl, ['-D', dataDir, '-m', mode, '-w', '-t', '30', 'stop'], 40_000),
      `pg_ctl stop -m ${mode}`,
    );
    running = false;
  };

  const log = (): string => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };

  try {
    await start();
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`${(error as Error).message}\n${log().slice(-2000)}`);
  }
  return {
    port,
    url,
    dataDir,
    get running() {
      return running;
    },
    start,
    stop,
    log,
    destroy: async () => {
      await stop('immediate').catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
