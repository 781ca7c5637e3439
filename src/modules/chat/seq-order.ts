/** Longest a publish waits for another send of this process (its answer lost, say). */
export const SEQ_ORDER_MAX_WAIT_MS = 2_000;

/** One send's place in its conversation's publish order, from before its write until it published. */
export interface SeqTicket {
  /** The database answered: the seq this send committed. */
  resolve(seq: number): void;
  /**
   * Resolves once every send of this process to the conversation that may hold a lower seq has
   * published (or failed): those still waiting for their answer, then those with a lower seq.
   */
  ready(): Promise<void>;
  /** This send published (or failed): the others may go. Idempotent. */
  release(): void;
}

interface Held {
  seq?: number;
  /** The conversation's other sends in this process when this one's answer arrived. */
  before?: Held[];
  answered: Promise<void>;
  answer: () => void;
  done: Promise<void>;
  finish: () => void;
}

/**
 * Keeps this process's `MessageCreated` events of a conversation in seq order. A send's seq is
 * known only from the answer to its write, and answers of concurrent sends (each on its own
 * connection) can come back in any order: under load, N + 1 could be published before N and every
 * member would see them swapped. So a send takes a ticket before its write and, once answered,
 * publishes only after the sends of this process that were still unanswered at that moment are
 * answered, and those of them with a lower seq have published. A send written after N's answer
 * arrived can only get a higher seq (N had committed), so nothing later can overtake.
 *
 * Only same-process races wait, and only for answers already on their way; sends of other
 * replicas are never registered here (clients order by seq and catch up with `after=`).
 */
export class SeqOrder {
  private readonly held = new Map<string, Held[]>();

  begin(conversationId: string): SeqTicket {
    const entry = { seq: undefined } as Held;
    entry.answered = new Promise<void>((resolve) => (entry.answer = resolve));
    entry.done = new Promise<void>((resolve) => (entry.finish = resolve));
    const list = this.held.get(conversationId) ?? [];
    list.push(entry);
    this.held.set(conversationId, list);
    let released = false;
    return {
      resolve: (seq) => {
        entry.seq = seq;
        entry.before = (this.held.get(conversationId) ?? []).filter((h) => h !== entry);
        entry.answer();
      },
      ready: () => this.othersFirst(entry),
      release: () => {
        if (released) return;
        released = true;
        this.drop(conversationId, entry);
        entry.answer();
        entry.finish();
      },
    };
  }

  private async othersFirst(me: Held): Promise<void> {
    const others = me.before ?? [];
    if (others.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, SEQ_ORDER_MAX_WAIT_MS);
      timer.unref();
    });
    const inOrder = async (): Promise<void> => {
      await Promise.all(others.map((h) => h.answered));
      const lower = others.filter(
        (h) => h.seq !== undefined && me.seq !== undefined && h.seq < me.seq,
      );
      await Promise.all(lower.map((h) => h.done));
    };
    try {
      await Promise.race([inOrder(), timeout]);
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
