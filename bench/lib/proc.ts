import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');

/** Runs a TypeScript file of bench/ in its own Node process (ts-node, transpile only). */
export const TS_NODE = ['-r', 'ts-node/register/transpile-only'];

/** A free loopback TCP port (asked of the kernel, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface Started {
  name: string;
  child: ChildProcess;
  /** The last lines the process wrote (stdout and stderr), for error messages. */
  tail(): string;
}

const started = new Set<Started>();

export function startProcess(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd = ROOT,
  stdin: 'ignore' | 'pipe' = 'ignore',
): Started {
  const child = spawn(process.execPath, args, {
    cwd,
    env,
    stdio: [stdin, 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    lines.push(...chunk.toString('utf8').split('\n'));
    if (lines.length > 60) lines.splice(0, lines.length - 60);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const entry: Started = { name, child, tail: () => lines.join('\n') };
  started.add(entry);
  child.on('exit', () => started.delete(entry));
  return entry;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopProcess(proc: Started, graceMs = 10_000): Promise<void> {
  const { child } = proc;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

/** Stops every process this run started and is still running (used on errors and signals). */
export async function stopAll(): Promise<void> {
  await Promise.all([...started].map((proc) => stopProcess(proc, 5_000)));
}

/** Polls `url` until it answers 200, the process exits, or the deadline passes. */
export async function waitHttpOk(proc: Started, url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
      throw new Error(`${proc.name} exited while starting:\n${proc.tail()}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${proc.name} did not answer 200 on ${url} within ${timeoutMs} ms:\n${proc.tail()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Runs a bench/ TypeScript worker to completion and parses the JSON it prints last on stdout. */
export function runJsonWorker<T>(
  name: string,
  file: string,
  input: unknown,
  timeoutMs: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const proc = startProcess(name, [...TS_NODE, path.join(ROOT, file)], {
      ...env,
      BENCH_WORKER_INPUT: JSON.stringify(input),
    });
    let out = '';
    proc.child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    const timer = setTimeout(() => proc.child.kill('SIGKILL'), timeoutMs);
    proc.child.on('exit', (code) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) {
        reject(new Error(`${name} exited with ${code}:\n${proc.tail()}`));
        return;
      }
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new Error(`${name} printed no JSON result:\n${proc.tail()}`));
      }
    });
  });
}

/** Resident set size of a process in bytes (Linux /proc). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}
