/**
 * REST reads: authenticated GET /api/v1/users/me and GET /api/v1/conversations (the caller is in
 * 50 direct conversations, made through POST /api/v1/conversations) against GET /hello of a bare
 * NestJS app on the same Express platform (bench/baselines/hello-nest.ts), each in its own
 * process, closed loop with the same number of keep-alive connections, load from autocannon
 * (bench/load/autocannon-load.ts, its own process). Per pair the order is
 * me, conversations, hello; both server rows are divided by that pair's hello.
 */
import type { HttpLoadInput, HttpLoadResult } from '../load/http-load';
import { freePort, runJsonWorker, startProcess, stopProcess, waitHttpOk } from '../lib/proc';
import { median } from '../lib/stats';
import { targetMet, type Pair, type Scenario, type ScenarioRow } from '../lib/scenario';
import {
  baselineScript,
  loginToken,
  seedUsers,
  startAppServer,
  stopAppServer,
} from '../lib/server';

const CONVERSATIONS = 50;

export const restScenario: Scenario = async ({ settings, infra, buildDir, log }) => {
  // The server applies the migrations as it starts; users are seeded after that.
  const server = await startAppServer(buildDir, infra);
  const helloPort = await freePort();
  const hello = startProcess('hello-nest', [baselineScript('hello-nest')], {
    ...process.env,
    NODE_ENV: 'production',
    PORT: String(helloPort),
  });
  try {
    const [me, ...others] = await seedUsers(infra, CONVERSATIONS + 1, 'rest');
    await waitHttpOk(hello, `http://127.0.0.1:${helloPort}/health/ready`, 60_000);
    const token = await loginToken(server.url, me.email, '10.200.0.1');
    const auth = { authorization: `Bearer ${token}`, 'x-forwarded-for': '10.200.0.1' };
    for (const other of others) {
      const res = await fetch(`${server.url}/api/v1/conversations`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'direct', userId: other.id }),
      });
      if (res.status !== 201 && res.status !== 200) {
        throw new Error(`creating a conversation failed: ${res.status} ${await res.text()}`);
      }
    }
    const check = await fetch(`${server.url}/api/v1/conversations?limit=${CONVERSATIONS}`, {
      headers: auth,
    });
    const listed = (await check.json()) as { data?: unknown };
    const count = Array.isArray(listed.data) ? listed.data.length : undefined;
    log(
      `rest: user ${me.username} has ${CONVERSATIONS} conversations (first page lists ${count ?? '?'})`,
    );

    const base = {
      concurrency: settings.restConnections,
      durationMs: settings.durationS * 1000,
      warmupMs: settings.warmupS * 1000,
    };
    const meLoad: HttpLoadInput = {
      ...base,
      url: server.url,
      requests: [{ method: 'GET', path: '/api/v1/users/me', headers: auth }],
    };
    const convLoad: HttpLoadInput = {
      ...base,
      url: server.url,
      requests: [
        { method: 'GET', path: `/api/v1/conversations?limit=${CONVERSATIONS}`, headers: auth },
      ],
    };
    const helloLoad: HttpLoadInput = {
      ...base,
      url: `http://127.0.0.1:${helloPort}`,
      requests: [{ method: 'GET', path: '/hello' }],
    };
    const timeoutMs = (settings.durationS + settings.warmupS) * 1000 + 60_000;
    const mePairs: Pair[] = [];
    const convPairs: Pair[] = [];
    let meErrors = 0;
    let convErrors = 0;
    for (let i = 0; i < settings.pairs; i++) {
      const a1 = await runJsonWorker<HttpLoadResult>(
        'rest-me',
        'bench/load/autocannon-load.ts',
        meLoad,
        timeoutMs,
      );
      const a2 = await runJsonWorker<HttpLoadResult>(
        'rest-conv',
        'bench/load/autocannon-load.ts',
        convLoad,
        timeoutMs,
      );
      const b = await runJsonWorker<HttpLoadResult>(
        'rest-hello',
        'bench/load/autocannon-load.ts',
        helloLoad,
        timeoutMs,
      );
      meErrors += a1.errors;
      convErrors += a2.errors;
      mePairs.push({ a: a1.perSecond, b: b.perSecond, ratio: a1.perSecond / b.perSecond });
      convPairs.push({ a: a2.perSecond, b: b.perSecond, ratio: a2.perSecond / b.perSecond });
      log(
        `rest pair ${i + 1}: /users/me ${a1.perSecond.toFixed(0)} req/s (p99 ${a1.p99Ms.toFixed(1)} ms, ${a1.errors} errors), /conversations ${a2.perSecond.toFixed(0)} req/s (p99 ${a2.p99Ms.toFixed(1)} ms, ${a2.errors} errors), hello ${b.perSecond.toFixed(0)} req/s`,
      );
    }
    const target = '>= 0.5';
    const row = (measure: string, pairs: Pair[], errors: number): ScenarioRow => {
      const medianRatio = median(pairs.map((p) => p.ratio));
      return {
        scenario: 'rest',
        measure: `${measure}, ${settings.restConnections} connections`,
        unit: 'req/s',
        baseline: 'bare NestJS GET /hello',
        target,
        pairs,
        medianA: median(pairs.map((p) => p.a)),
        medianB: median(pairs.map((p) => p.b)),
        medianRatio,
        met: errors === 0 && targetMet(medianRatio, target),
        errors,
        notes: [],
      };
    };
    return [
      row('GET /users/me', mePairs, meErrors),
      row(`GET /conversations (${CONVERSATIONS})`, convPairs, convErrors),
    ];
  } finally {
    await stopProcess(hello);
    await stopAppServer(server);
  }
};
