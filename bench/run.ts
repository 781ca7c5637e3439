/**
 * `npm run bench` (ts-node -T bench/run.ts): runs each scenario as A B A B ... (A = this server,
 * production build against real PostgreSQL and Redis; B = the same-run baseline), every server,
 * baseline and load generator in its own process, on loopback only. Prints a table of median
 * ratios and writes bench/results/<date>.json. Cleans up its processes, database and Redis keys,
 * also on Ctrl-C. Knobs: see bench/README.md.
 */
import { cpus, totalmem } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT, stopAll } from './lib/proc';
import { settingsFromEnv, type Scenario, type ScenarioRow } from './lib/scenario';
import { cleanupInfra, createDatabase, ensureBuild, newInfra } from './lib/server';
import { fmt, table } from './lib/stats';
import { directChatScenario, groupChatScenario } from './scenarios/fanout';
import { idleSocketsScenario } from './scenarios/idle-sockets';
import { loginScenario } from './scenarios/login';
import { restScenario } from './scenarios/rest';

const SCENARIOS: Record<string, Scenario> = {
  login: loginScenario,
  rest: restScenario,
  'idle-sockets': idleSocketsScenario,
  'direct-chat': directChatScenario,
  'group-chat': groupChatScenario,
};

const log = (line: string): void => {
  process.stderr.write(`[bench] ${line}\n`);
};

export function renderTable(rows: ScenarioRow[]): string {
  return table(
    [
      'scenario',
      'measure',
      'server (median)',
      'baseline (median)',
      'ratio (median)',
      'ratios per pair',
      'target',
      'met',
      'errors',
    ],
    rows.map((r) => [
      r.scenario,
      r.measure,
      `${fmt(r.medianA, 2)} ${r.unit}`,
      `${fmt(r.medianB, 2)} ${r.unit} (${r.baseline})`,
      fmt(r.medianRatio, 3),
      r.pairs.map((p) => fmt(p.ratio, 2)).join(' '),
      r.target,
      r.met === null ? '-' : r.met ? 'yes' : 'NO',
      String(r.errors),
    ]),
  );
}

async function main(): Promise<void> {
  const settings = settingsFromEnv();
  const wanted = (process.env.BENCH_SCENARIOS ?? Object.keys(SCENARIOS).join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of wanted) {
    if (!SCENARIOS[name])
      throw new Error(`unknown scenario "${name}" (have: ${Object.keys(SCENARIOS).join(', ')})`);
  }
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\..*$/, '')
    .replace('T', '_')
    .toLowerCase();
  const infra = newInfra(`${stamp}_${process.pid}`, settings.bcryptCost);
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    platform: `${process.platform} ${process.arch}`,
    node: process.version,
  };
  log(
    `machine: ${machine.cpus} cpus (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}`,
  );
  log(`settings: ${JSON.stringify(settings)}; scenarios: ${wanted.join(', ')}`);

  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: stopping processes and cleaning up`);
    void stopAll()
      .then(() => cleanupInfra(infra))
      .finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const buildDir = ensureBuild(log);
  const rows: ScenarioRow[] = [];
  const failures: { scenario: string; error: string }[] = [];
  await createDatabase(infra);
  log(`database ${infra.databaseName}, Redis prefix ${infra.redisKeyPrefix}`);
  try {
    for (const name of wanted) {
      log(`scenario ${name}: start`);
      const started = Date.now();
      try {
        rows.push(...(await SCENARIOS[name]({ settings, infra, buildDir, log })));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        failures.push({ scenario: name, error: message });
        log(`scenario ${name} FAILED: ${message}`);
        await stopAll();
      }
      log(`scenario ${name}: done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
  } finally {
    await stopAll();
    await cleanupInfra(infra);
  }

  const rendered = renderTable(rows);
  process.stdout.write(`\n${rendered}\n`);
  for (const row of rows)
    for (const note of row.notes) process.stdout.write(`  ${row.scenario}: ${note}\n`);
  for (const failure of failures)
    process.stdout.write(`  FAILED ${failure.scenario}: ${failure.error}\n`);
  const dir = path.join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(
    dir,
    `${new Date().toISOString().replace(/:/g, '-').replace(/\..*$/, '')}.json`,
  );
  writeFileSync(
    file,
    `${JSON.stringify({ date: new Date().toISOString(), machine, settings, rows, failures }, null, 2)}\n`,
  );
  process.stdout.write(`\nwritten ${path.relative(ROOT, file)}\n`);
  process.exitCode = failures.length > 0 ? 1 : 0;
}

main().catch(async (error: unknown) => {
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  await stopAll();
  process.exit(1);
});
