/**
 * Login: POST /api/v1/auth/login (bearer) per second against raw bcrypt.compare per second at the
 * same cost, with the same concurrency. Every request signs in a different seeded user from a
 * different X-Forwarded-For (TRUST_PROXY=1), so the login limiter never answers 429; any non-2xx
 * is counted as an error and reported.
 */
import * as bcrypt from 'bcrypt';
import { createHmac } from 'node:crypto';
import type { BcryptLoadInput } from '../load/bcrypt-load';
import type { HttpLoadInput, HttpLoadResult } from '../load/http-load';
import { runJsonWorker } from '../lib/proc';
import { median } from '../lib/stats';
import { targetMet, type Pair, type Scenario } from '../lib/scenario';
import { BENCH_PASSWORD, seedUsers, startAppServer, stopAppServer } from '../lib/server';

export const loginScenario: Scenario = async ({ settings, infra, buildDir, log }) => {
  const concurrency = settings.loginConcurrency;
  // The server applies the migrations as it starts; users are seeded after that.
  const server = await startAppServer(buildDir, infra);
  const preHash = createHmac('sha384', infra.pepper)
    .update(BENCH_PASSWORD, 'utf8')
    .digest('base64');
  const hash = await bcrypt.hash(preHash, infra.bcryptCost);
  const timeoutMs = (settings.durationS + settings.warmupS) * 1000 + 60_000;
  const pairs: Pair[] = [];
  let errors = 0;
  const statuses: Record<string, number> = {};
  try {
    const users = await seedUsers(infra, Math.max(64, concurrency * 16), 'login');
    const load: HttpLoadInput = {
      url: server.url,
      concurrency,
      durationMs: settings.durationS * 1000,
      warmupMs: settings.warmupS * 1000,
      requests: users.map((user, i) => ({
        method: 'POST',
        path: '/api/v1/auth/login',
        headers: {
          'x-auth-transport': 'bearer',
          'x-forwarded-for': `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
        },
        body: JSON.stringify({ email: user.email, password: BENCH_PASSWORD }),
      })),
    };
    const raw: BcryptLoadInput = {
      hash,
      password: BENCH_PASSWORD,
      pepper: infra.pepper,
      concurrency,
      durationMs: settings.durationS * 1000,
      warmupMs: settings.warmupS * 1000,
    };
    for (let i = 0; i < settings.pairs; i++) {
      const a = await runJsonWorker<HttpLoadResult>(
        'login-load',
        'bench/load/http-load.ts',
        load,
        timeoutMs,
      );
      const b = await runJsonWorker<HttpLoadResult>(
        'bcrypt-load',
        'bench/load/bcrypt-load.ts',
        raw,
        timeoutMs,
      );
      errors += a.errors;
      for (const [status, n] of Object.entries(a.statuses))
        statuses[status] = (statuses[status] ?? 0) + n;
      pairs.push({ a: a.perSecond, b: b.perSecond, ratio: a.perSecond / b.perSecond });
      log(
        `login pair ${i + 1}: server ${a.perSecond.toFixed(2)} logins/s (p50 ${a.p50Ms.toFixed(0)} ms, ${a.errors} errors), bcrypt ${b.perSecond.toFixed(2)} compares/s`,
      );
    }
  } finally {
    await stopAppServer(server);
  }
  const medianRatio = median(pairs.map((p) => p.ratio));
  const target = '>= 0.9';
  return [
    {
      scenario: 'login',
      measure: `POST /auth/login (bearer), ${concurrency} concurrent`,
      unit: 'per s',
      baseline: `bcrypt.compare, cost ${infra.bcryptCost}, ${concurrency} concurrent`,
      target,
      pairs,
      medianA: median(pairs.map((p) => p.a)),
      medianB: median(pairs.map((p) => p.b)),
      medianRatio,
      met: errors === 0 && targetMet(medianRatio, target),
      errors,
      notes: [`status codes: ${JSON.stringify(statuses)}`],
    },
  ];
};
