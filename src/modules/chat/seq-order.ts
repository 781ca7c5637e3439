/** Longest a publish waits for a lower seq of this process (its commit answer lost, say). */
export const SEQ_ORDER_MAX_WAIT_MS = 2_000;

/** One send's place in its conversation's order, from its seq being taken until it published. */
export interface SeqTurn {
  /** Resolves once every lower seq of the conversation taken in this process has published. */
  ready(): Promise<void>;
  /** This send published (or failed): higher seqs may go. Idempotent. */
  release(): void;
}

interface Held {
  seq: number;
  done: Promise<void>;
  finish: () => void;
}

/**
 * Keeps this process's `MessageCreated` events of a conversation in seq order. PostgreSQL releases
 * the conversation's row lock when seq N commits, before the answer to that COMMIT is read here:
 * under load, the send that took N + 1 can commit and publish first, and every member would see
 * N + 1 before N. A send registers its seq as soon as the seq UPDATE returns (inside the
 * transaction) and, after commit, publishes only once the lower seqs registered before it have.
 *
 * Only same-process races wait, and only for an answer already on its way; sends of other
 * replicas are never registered here (clients order by seq and catch up with `after=`).
 */
export class SeqOrder {
  private readonly held = new Map<string, Held[]>();

  take(conversationId: string, seq: number): SeqTurn {
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const entry: Held = { seq, done, finish };
    const list = this.held.get(conversationId) ?? [];
    list.push(entry);
    this.held.set(conversationId, list);
    let released = false;
    return {
      ready: () => this.lowerDone(conversationId, seq),
      release: () => {
        if (released) return;
        released = true;
        this.drop(conversationId, entry);
        entry.finish();
      },
    };
  }

  private async lowerDone(conversationId: string, seq: number): Promise<void> {
    const lower = (this.held.get(conversationId) ?? []).filter((h) => h.seq < seq);
    if (lower.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, SEQ_ORDER_MAX_WAIT_MS);
      timer.unref();
    });
    try {
      await Promise.race([Promise.all(lower.map((h) => h.done)), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private drop(conversationId: string, entry: Held): void {
    const list = this.held.get(conversationId);
    if (!list) return;
    const rest = list.filter((h) => h !== entry);
    if (rest.length === 0) this.held.delete(conversationId);
    else this.held.set(conversationId, rest);
  }
}
