import fc from 'fast-check';

/**
 * Run size and seed of the fuzz suites. CI runs a fixed seed so a red run can be replayed
 * exactly; `FUZZ_SEED=random` (or any integer) and a bigger `FUZZ_RUNS` explore further locally.
 */
export interface FuzzSettings {
  seed: number;
  /** fast-check runs per REST operation. */
  restRuns: number;
  /** fast-check runs per socket event. */
  socketRuns: number;
}

const DEFAULT_SEED = 20_261_123;

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

export function fuzzSettings(defaults: { restRuns: number; socketRuns: number }): FuzzSettings {
  const rawSeed = process.env.FUZZ_SEED;
  let seed = DEFAULT_SEED;
  if (rawSeed === 'random') seed = Math.floor(Math.random() * 2 ** 31);
  else if (rawSeed !== undefined && rawSeed !== '') {
    seed = Number(rawSeed);
    if (!Number.isInteger(seed)) throw new Error('FUZZ_SEED must be an integer or "random"');
  }
  const runs = process.env.FUZZ_RUNS;
  return {
    seed,
    restRuns: runs ? positiveInt('FUZZ_RUNS', defaults.restRuns) : defaults.restRuns,
    socketRuns: runs ? positiveInt('FUZZ_RUNS', defaults.socketRuns) : defaults.socketRuns,
  };
}

/** A seed per property (operation or event), derived from the run's seed and its name. */
export function seedFor(seed: number, name: string): number {
  let hash = seed | 0;
  for (let i = 0; i < name.length; i += 1) hash = (Math.imul(hash, 31) + name.charCodeAt(i)) | 0;
  return hash;
}

/**
 * Runs one property; a failure names the property, its seed and the counterexample, so
 * `FUZZ_SEED=<run seed>` replays it. `endOnFailure` keeps shrinking short: every run is a real
 * request to a real server.
 */
export async function assertProperty<T>(
  name: string,
  settings: FuzzSettings,
  runs: number,
  property: fc.IAsyncPropertyWithHooks<T>,
): Promise<void> {
  const seed = seedFor(settings.seed, name);
  const details = await fc.check(property, { seed, numRuns: runs, endOnFailure: true });
  if (!details.failed) return;
  const counterexample = JSON.stringify(details.counterexample, (_key, value: unknown) =>
    typeof value === 'string' && value.length > 300
      ? `${value.slice(0, 300)}…(${value.length} chars)`
      : value,
  );
  const cause = details.errorInstance instanceof Error ? details.errorInstance.message : '';
  throw new Error(
    `${name}: property failed (run seed ${settings.seed}, property seed ${seed}, path ${details.counterexample ? details.counterexamplePath : '?'})\n` +
      `counterexample: ${counterexample}\n${cause}`,
  );
}

/**
 * One line per property: how many runs and what statuses/acks they got (for docs/RELIABILITY.md).
 * `FUZZ_DEBUG=1` splits the outcomes further (auth mode and error code, or emit shape and payload).
 */
export class FuzzSummary {
  private readonly rows = new Map<string, Map<string, number>>();

  count(property: string, outcome: string): void {
    const row = this.rows.get(property) ?? new Map<string, number>();
    row.set(outcome, (row.get(outcome) ?? 0) + 1);
    this.rows.set(property, row);
  }

  print(title: string, settings: FuzzSettings, runsPerProperty: number): void {
    let total = 0;
    const lines = [...this.rows.entries()].map(([property, outcomes]) => {
      const runs = [...outcomes.values()].reduce((sum, n) => sum + n, 0);
      total += runs;
      const spread = [...outcomes.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([outcome, n]) => `${outcome}:${n}`)
        .join(' ');
      return `  ${property.padEnd(72)} ${String(runs).padStart(5)}  ${spread}`;
    });
    console.log(
      `${title}: ${this.rows.size} properties × ${runsPerProperty} runs = ${total} inputs, seed ${settings.seed}\n${lines.join('\n')}`,
    );
  }
}
