/**
 * Baseline for the login scenario (own process): `concurrency` loops of bcrypt.compare against a
 * hash of the configured cost, the same call (and the same pre-hash) the server's PasswordHasher
 * makes per login, for `durationMs`. Prints one JSON line with compares/s.
 */
import * as bcrypt from 'bcrypt';
import { createHmac } from 'node:crypto';

export interface BcryptLoadInput {
  hash: string;
  password: string;
  pepper: string;
  concurrency: number;
  durationMs: number;
  warmupMs?: number;
}

async function main(): Promise<void> {
  const input = JSON.parse(process.env.BENCH_WORKER_INPUT ?? '{}') as BcryptLoadInput;
  const preHash = (password: string): string =>
    createHmac('sha384', input.pepper).update(password, 'utf8').digest('base64');
  const countFrom = Date.now() + (input.warmupMs ?? 0);
  const end = countFrom + input.durationMs;
  let ok = 0;
  let errors = 0;
  const loop = async (): Promise<void> => {
    while (Date.now() < end) {
      const match = await bcrypt.compare(preHash(input.password), input.hash);
      const now = Date.now();
      if (now < countFrom || now > end) continue;
      if (match) ok += 1;
      else errors += 1;
    }
  };
  await Promise.all(Array.from({ length: input.concurrency }, loop));
  process.stdout.write(
    `${JSON.stringify({ requests: ok + errors, ok, errors, perSecond: ok / (input.durationMs / 1000) })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n`);
  process.exit(1);
});
