/**
 * REST load generator (own process) built on autocannon's programmatic API: `concurrency`
 * keep-alive connections, closed loop (one request in flight per connection, no pipelining), one
 * unmeasured warm-up run of `warmupMs`, then the measured run of `durationMs`. Prints one JSON
 * line in HttpLoadResult's shape. Input: BENCH_WORKER_INPUT (JSON, HttpLoadInput; only the first
 * request is used, every connection repeats it).
 */
import autocannon from 'autocannon';
import type { HttpLoadInput, HttpLoadResult } from './http-load';

function run(input: HttpLoadInput, durationMs: number): Promise<autocannon.Result> {
  const [req] = input.requests;
  return autocannon({
    url: `${input.url}${req.path}`,
    method: req.method as autocannon.Request['method'],
    headers: req.headers,
    body: req.body,
    connections: input.concurrency,
    pipelining: 1,
    // autocannon takes whole or fractional seconds.
    duration: durationMs / 1000,
    timeout: 30,
  });
}

async function main(): Promise<void> {
  const input = JSON.parse(process.env.BENCH_WORKER_INPUT ?? '{}') as HttpLoadInput;
  if (!input.requests?.length) throw new Error('no request to send');
  if ((input.warmupMs ?? 0) > 0) await run(input, input.warmupMs ?? 0);
  const r = await run(input, input.durationMs);
  const statuses: Record<string, number> = {};
  for (const [code, stat] of Object.entries(r.statusCodeStats ?? {}))
    statuses[code] = stat.count ?? 0;
  const ok = r['2xx'];
  const result: HttpLoadResult = {
    requests: r.requests.total,
    ok,
    errors: r.non2xx + r.errors,
    statuses,
    perSecond: ok / r.duration,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n`);
  process.exit(1);
});
