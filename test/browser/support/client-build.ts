import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.resolve(__dirname, '../../..');
export const CLIENT_DIR = path.join(ROOT, 'client');

/**
 * `vite build` of the web client into a fresh temporary folder, with VITE_API_URL baked in
 * (the API's port is only known once the test has picked it).
 */
export async function buildClient(apiUrl: string): Promise<string> {
  const vite = path.join(CLIENT_DIR, 'node_modules', 'vite', 'bin', 'vite.js');
  if (!existsSync(vite)) {
    throw new Error('client/node_modules is missing: run `npm ci --prefix client` (npm test does)');
  }
  const outDir = mkdtempSync(path.join(tmpdir(), 'baatcheet-client-'));
  await promisify(execFile)(
    process.execPath,
    [vite, 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'],
    {
      cwd: CLIENT_DIR,
      env: { ...process.env, VITE_API_URL: apiUrl, NODE_ENV: 'production' },
      timeout: 120_000,
    },
  );
  return outDir;
}
