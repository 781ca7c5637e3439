/**
 * Idle sockets: server RSS growth per idle authenticated Socket.IO connection with N connected,
 * against a bare Socket.IO server with the Redis adapter (bench/baselines/socketio-redis.ts). Each
 * run starts a fresh server process (memory is not given back reliably after sockets close),
 * samples RSS (/proc/<pid>/status) once settled, connects N websocket clients from a separate
 * process, lets it settle again and samples RSS once more: (after - before) / N.
 */
import * as path from 'node:path';
import type { IdleClientsInput } from '../load/idle-clients';
import {
  freePort,
  ROOT,
  rssBytes,
  startProcess,
  stopProcess,
  TS_NODE,
  waitHttpOk,
  type Started,
} from '../lib/proc';
import { median } from '../lib/stats';
import { targetMet, type Pair, type Scenario } from '../lib/scenario';
import {
  baselineScript,
  loginToken,
  seedUsers,
  startAppServer,
  stopAppServer,
} from '../lib/server';

const USERS = 20;
const SETTLE_MS = 3_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Median of a few RSS samples, a quarter second apart. */
async function settledRss(pid: number): Promise<number> {
  await sleep(SETTLE_MS);
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(rssBytes(pid));
    await sleep(250);
  }
  return median(samples);
}

interface ClientsReport {
  connected: number;
  failed: number;
  firstError?: string;
}

/** Starts the client process and resolves with its JSON line once all handshakes are done. */
function openClients(
  input: IdleClientsInput,
  timeoutMs: number,
): Promise<{ proc: Started; report: ClientsReport }> {
  const proc = startProcess(
    'idle-clients',
    [...TS_NODE, path.join(ROOT, 'bench/load/idle-clients.ts')],
    {
      ...process.env,
      BENCH_WORKER_INPUT: JSON.stringify(input),
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`clients not connected within ${timeoutMs} ms:\n${proc.tail()}`)),
      timeoutMs,
    );
    proc.child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        clearTimeout(timer);
        resolve({ proc, report: JSON.parse(line) as ClientsReport });
      }
    });
    proc.child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`idle clients exited with ${code}:\n${proc.tail()}`));
    });
  });
}

async function measure(
  pid: number,
  input: IdleClientsInput,
): Promise<{ perSocket: number; report: ClientsReport; before: number; after: number }> {
  const before = await settledRss(pid);
  const { proc, report } = await openClients(input, 300_000);
  try {
    const after = await settledRss(pid);
    return { perSocket: (after - before) / Math.max(1, report.connected), report, before, after };
  } finally {
    await stopProcess(proc);
  }
}

export const idleSocketsScenario: Scenario = async ({ settings, infra, buildDir, log }) => {
  const count = settings.idleSockets;
  let tokens: string[] = [];
  const pairs: Pair[] = [];
  let errors = 0;
  const notes: string[] = [];
  for (let i = 0; i < settings.pairs; i++) {
    const server = await startAppServer(buildDir, infra);
    let a: Awaited<ReturnType<typeof measure>>;
    try {
      if (tokens.length === 0) {
        const users = await seedUsers(infra, USERS, 'idle');
        tokens = await Promise.all(
          users.map((u, j) => loginToken(server.url, u.email, `10.201.0.${j + 1}`)),
        );
      }
      a = await measure(server.proc.child.pid ?? 0, { url: server.url, tokens, count });
    } finally {
      await stopAppServer(server);
    }
    const port = await freePort();
    const bare = startProcess('socketio-redis', [baselineScript('socketio-redis')], {
      ...process.env,
      PORT: String(port),
      REDIS_URL: infra.redisUrl,
      REDIS_KEY_PREFIX: infra.redisKeyPrefix,
    });
    let b: Awaited<ReturnType<typeof measure>>;
    try {
      await waitHttpOk(bare, `http://127.0.0.1:${port}/health/ready`, 60_000);
      b = await measure(bare.child.pid ?? 0, {
        url: `http://127.0.0.1:${port}`,
        tokens: [],
        count,
      });
    } finally {
      await stopProcess(bare);
    }
    errors += a.report.failed + (count - a.report.connected - a.report.failed);
    if (a.report.firstError) notes.push(`server handshake error: ${a.report.firstError}`);
    if (b.report.failed > 0)
      notes.push(`baseline: ${b.report.failed} handshakes failed (${b.report.firstError ?? ''})`);
    pairs.push({ a: a.perSocket / 1024, b: b.perSocket / 1024, ratio: a.perSocket / b.perSocket });
    const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);
    log(
      `idle-sockets pair ${i + 1}: server ${a.report.connected}/${count} sockets, RSS ${mib(a.before)} -> ${mib(a.after)} MiB = ${(a.perSocket / 1024).toFixed(1)} KiB/socket; bare ${b.report.connected}/${count}, RSS ${mib(b.before)} -> ${mib(b.after)} MiB = ${(b.perSocket / 1024).toFixed(1)} KiB/socket`,
    );
  }
  const target = '<= 1.5';
  const medianRatio = median(pairs.map((p) => p.ratio));
  return [
    {
      scenario: 'idle-sockets',
      measure: `RSS per idle authenticated socket, ${count} connected`,
      unit: 'KiB',
      baseline: 'bare Socket.IO + Redis adapter',
      target,
      pairs,
      medianA: median(pairs.map((p) => p.a)),
      medianB: median(pairs.map((p) => p.b)),
      medianRatio,
      met: errors === 0 && targetMet(medianRatio, target),
      errors,
      notes: [...new Set(notes)],
    },
  ];
};
