import { existsSync } from 'node:fs';

/** Loads `.env` (if present) without overriding variables already set in the environment. */
export function loadEnvFile(file = '.env'): void {
  if (existsSync(file)) process.loadEnvFile(file);
}
