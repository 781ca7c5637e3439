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
  /** Measured seconds of each fan-out phase (saturate, fixed rate), per run. */
  chatDurationS: number;
  /** Direct conversations of the direct-chat scenario (two sockets each). */
  directConversations: number;
  /** Members (one socket each) of the group-chat scenario's one group. */
  groupMembers: number;
  /** Offered message:send per second of the direct-chat latency phase. */
  directRate: number;
  /** Offered message:send per second of the group-chat latency phase. */
  groupRate: number;
  /** message:send in flight (all client processes together) in the saturation phase. */
  chatInFlight: number;
  /** Client processes the fan-out sockets are spread over. */
  chatClientProcs: number;
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
    chatDurationS: Math.max(1, intEnv('BENCH_CHAT_DURATION_S', full ? 10 : 5)),
    directConversations: Math.max(1, intEnv('BENCH_DIRECT_CONVERSATIONS', full ? 1_000 : 250)),
    groupMembers: Math.max(2, intEnv('BENCH_GROUP_MEMBERS', 100)),
    directRate: Math.max(1, intEnv('BENCH_DIRECT_RATE', 2_000)),
    groupRate: Math.max(1, intEnv('BENCH_GROUP_RATE', 50)),
    chatInFlight: Math.max(1, intEnv('BENCH_CHAT_IN_FLIGHT', 64)),
    chatClientProcs: Math.max(1, intEnv('BENCH_CHAT_CLIENT_PROCS', 2)),
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
  /** null: a row without a target of its own (shown for context). */
  met: boolean | null;
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
