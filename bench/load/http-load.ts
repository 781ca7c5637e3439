/**
 * Load generator (own process): keeps `concurrency` keep-alive HTTP/1.1 requests in flight against
 * one URL for `durationMs` and prints one JSON line with requests/s, errors and latency.
 * Input: BENCH_WORKER_INPUT (JSON, see HttpLoadInput). Stand-in for autocannon, which is not
 * installed; the measure (closed loop, fixed connections, fixed duration) is the same.
 */
import * as http from 'node:http';
import { percentile } from '../lib/stats';

export interface HttpLoadRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface HttpLoadInput {
  url: string;
  /** Requests each connection cycles through (e.g. one login per user). */
  requests: HttpLoadRequest[];
  concurrency: number;
  durationMs: number;
  /** Requests before this are sent but not counted. */
  warmupMs?: number;
}

export interface HttpLoadResult {
  requests: number;
  ok: number;
  errors: number;
  statuses: Record<string, number>;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

function send(agent: http.Agent, base: URL, req: HttpLoadRequest): Promise<number> {
  return new Promise((resolve) => {
    const headers: Record<string, string | number> = { ...req.headers };
    if (req.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = Buffer.byteLength(req.body);
    }
    const r = http.request(
      { agent, host: base.hostname, port: base.port, method: req.method, path: req.path, headers },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    r.on('error', () => resolve(0));
    r.end(req.body);
  });
}

async function main(): Promise<void> {
  const input = JSON.parse(process.env.BENCH_WORKER_INPUT ?? '{}') as HttpLoadInput;
  const base = new URL(input.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: input.concurrency });
  const start = Date.now();
  const countFrom = start + (input.warmupMs ?? 0);
  const end = countFrom + input.durationMs;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let next = 0;
  let ok = 0;
  let errors = 0;

  const loop = async (): Promise<void> => {
    while (Date.now() < end) {
      const req = input.requests[next++ % input.requests.length];
      const t0 = performance.now();
      const status = await send(agent, base, req);
      const now = Date.now();
      if (now < countFrom || now > end) continue;
      latencies.push(performance.now() - t0);
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status >= 200 && status < 300) ok += 1;
      else errors += 1;
    }
  };
  await Promise.all(Array.from({ length: input.concurrency }, loop));
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const seconds = input.durationMs / 1000;
  const result: HttpLoadResult = {
    requests: latencies.length,
    ok,
    errors,
    statuses,
    perSecond: ok / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n`);
  process.exit(1);
});
