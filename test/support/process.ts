import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitFor, withDeadline } from './wait';

const ROOT = path.resolve(__dirname, '../..');

export interface ExitResult {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A child process running one of the app's entry points, with its output kept for assertions. */
export interface AppProcess {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Waits until stdout or stderr matches `pattern`; throws after the deadline or if the process exits first. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Waits for the process to exit (it is not signalled). */
  waitForExit(timeoutMs?: number): Promise<ExitResult>;
  /** Sends SIGKILL if it is still running and removes its temporary working directory. */
  dispose(): Promise<void>;
}

export interface SpawnEntryOptions {
  /** The whole environment of the child (nothing is inherited except PATH). */
  env: NodeJS.ProcessEnv;
  /** Working directory; default a fresh temporary one, so no `.env` file is picked up. */
  cwd?: string;
}

/**
 * Runs a TypeScript entry point (`src/main.ts`, `src/worker.ts`) with ts-node in transpile-only
 * mode, so no build is needed. The child gets exactly `env` (plus PATH).
 */
export function spawnEntry(entry: string, options: SpawnEntryOptions): AppProcess {
  const ownsCwd = options.cwd === undefined;
  const cwd = options.cwd ?? mkdtempSync(path.join(tmpdir(), 'baatcheet-proc-'));
  const child = spawn(
    process.execPath,
    ['-r', require.resolve('ts-node/register/transpile-only'), path.resolve(ROOT, entry)],
    {
      cwd,
      env: {
        PATH: process.env.PATH,
        TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'),
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let exit: ExitResult | undefined;
  const exited = new Promise<ExitResult>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    }),
  );

  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    waitForOutput: async (pattern, timeoutMs = 20_000) => {
      const matches = (): boolean => pattern.test(stdout) || pattern.test(stderr);
      // Fail as soon as the process dies instead of polling until the deadline.
      const diedFirst = exited.then((result) => {
        if (matches()) return;
        throw new Error(
          `${entry} exited (${JSON.stringify(result)}) before printing ${String(pattern)}; stderr: ${stderr.slice(-2000)}`,
        );
      });
      await Promise.race([
        waitFor(`${entry} to print ${String(pattern)}`, matches, { timeoutMs, intervalMs: 25 }),
        diedFirst,
      ]);
    },
    waitForExit: (timeoutMs = 20_000) => withDeadline(`${entry} to exit`, exited, timeoutMs),
    dispose: async () => {
      if (!exit) {
        child.kill('SIGKILL');
        await withDeadline(`${entry} to die`, exited, 5_000);
      }
      if (ownsCwd) rmSync(cwd, { recursive: true, force: true });
    },
  };
}
