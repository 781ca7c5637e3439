import type { BearerTokens } from '../../src/contract';

export type AuthTokens = BearerTokens;

/**
 * Where bearer mode keeps its tokens. Synchronous on purpose: a mobile app loads its persisted
 * tokens once at start (pass them as `initial`) and persists in `set`, so every request reads the
 * current token without an await.
 */
export interface TokenStore {
  get(): AuthTokens | null;
  set(tokens: AuthTokens | null): void;
}

/** The default store: tokens live in this object only. `onChange` is the persistence hook. */
export class MemoryTokenStore implements TokenStore {
  private tokens: AuthTokens | null;

  constructor(
    initial: AuthTokens | null = null,
    private readonly onChange?: (tokens: AuthTokens | null) => void,
  ) {
    this.tokens = initial;
  }

  get(): AuthTokens | null {
    return this.tokens;
  }

  set(tokens: AuthTokens | null): void {
    this.tokens = tokens;
    this.onChange?.(tokens);
  }
}
