import { cpus } from 'node:os';
import type { BenchInfra } from './server';

export interface BenchSettings {
  durationS: number;
  warmupS: number;
  pairs: number;
  /** Concurrent requests of the login scenario (and its bcrypt baseline). */
  loginConcurrency: number;
  /** Keep-alive connections of the REST scenario (and its baseline). */
  restConnections: number;
  idleSockets: number;
  bcryptCost: number;
}

const intEnv = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`${name} must be a whole number (got ${raw})`);
  return value;
};

export function settingsFromEnv(): BenchSettings {
  const full = process.env.BENCH_FULL === '1';
  return {
    durationS: intEnv('BENCH_DURATION_S', 10),
    warmupS: intEnv('BENCH_WARMUP_S', 1),
    pairs: Math.max(1, intEnv('BENCH_PAIRS', 3)),
    loginConcurrency: Math.max(1, intEnv('BENCH_LOGIN_CONCURRENCY', 2 * cpus().length)),
    restConnections: Math.max(1, intEnv('BENCH_REST_CONNECTIONS', 10)),
    idleSockets: Math.max(1, intEnv('BENCH_IDLE_SOCKETS', full ? 10_000 : 2_000)),
    bcryptCost: intEnv('BENCH_BCRYPT_COST', 12),
  };
}

export interface Pair {
  a: number;
  b: number;
  ratio: number;
}

/** One line of the table: the server (A) against its baseline (B), repeated A B A B ... */
export interface ScenarioRow {
  scenario: string;
  measure: string;
  /** Unit of a and b, e.g. "logins/s". */
  unit: string;
  baseline: string;
  /** e.g. ">= 0.9" or "<= 1.5" (ratio A/B). */
  target: string;
  pairs: Pair[];
  medianA: number;
  medianB: number;
  medianRatio: number;
  met: boolean;
  /** Non-2xx responses (or failed operations) of the server side, summed over all runs. */
  errors: number;
  notes: string[];
}

export interface ScenarioContext {
  settings: BenchSettings;
  infra: BenchInfra;
  buildDir: string;
  log: (line: string) => void;
}

export type Scenario = (ctx: ScenarioContext) => Promise<ScenarioRow[]>;

export function targetMet(ratio: number, target: string): boolean {
  const [op, value] = target.split(' ');
  return op === '>=' ? ratio >= Number(value) : ratio <= Number(value);
}
