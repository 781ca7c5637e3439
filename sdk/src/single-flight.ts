/**
 * At most one run of a task at a time: callers arriving while it runs share its outcome. Used for
 * token refresh, where two parallel refreshes would rotate the refresh token twice and the second
 * would present an already rotated-out token (which the server treats as reuse).
 */
export class SingleFlight<T> {
  private inFlight: Promise<T> | null = null;

  run(task: () => Promise<T>): Promise<T> {
    if (this.inFlight) return this.inFlight;
    const flight = (async () => {
      try {
        return await task();
      } finally {
        this.inFlight = null;
      }
    })();
    this.inFlight = flight;
    return flight;
  }

  get running(): boolean {
    return this.inFlight !== null;
  }
}
