const UNIQUE_VIOLATION = '23505';

/**
 * The constraint a PostgreSQL unique violation names, looking through the wrappers Drizzle puts
 * around driver errors; undefined for any other error.
 */
export function uniqueViolationOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    const candidate = current as { code?: unknown; constraint?: unknown; cause?: unknown };
    if (candidate.code === UNIQUE_VIOLATION) {
      return typeof candidate.constraint === 'string' ? candidate.constraint : 'unknown';
    }
    current = candidate.cause;
  }
  return undefined;
}

/** The SQLSTATE of a PostgreSQL error, looking through Drizzle's wrappers; undefined if none. */
export function sqlStateOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    const candidate = current as { code?: unknown; cause?: unknown };
    if (typeof candidate.code === 'string' && /^[0-9A-Z]{5}$/.test(candidate.code)) {
      return candidate.code;
    }
    current = candidate.cause;
  }
  return undefined;
}
