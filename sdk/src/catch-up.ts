import type { MessageDto } from '../../src/contract';
import type { Page } from './api';
import { backoffDelay, sleep as defaultSleep, type BackoffOptions } from './backoff';
import { BaatCheetApiError } from './errors';

export interface ConversationStreamOptions {
  /** The last seq the app already has (0: from the very first message). */
  afterSeq: number;
  /** Every message exactly once, in seq order, without gaps. */
  onMessage: (message: MessageDto) => void;
  /** A page fetch failed (it is retried), or the conversation can't be read any more (it stops). */
  onError?: (error: unknown) => void;
  /** Page size of the catch-up fetches (default 100, the server's maximum). */
  pageSize?: number;
  backoff?: BackoffOptions;
  sleep?: (ms: number) => Promise<void>;
}

export type FetchAfter = (afterSeq: number, limit: number) => Promise<Page<MessageDto>>;

/** HTTP statuses after which fetching again can't help: the conversation is gone for this user. */
const FINAL = new Set([401, 403, 404]);

/**
 * One conversation's ordered, gap-free message stream, merged from live `message:new` events and
 * `GET …/messages?after=<seq>` pages. Live events that arrive while a catch-up runs, or that leave
 * a gap, are held back until the messages before them are in; duplicates (an event for a message
 * a page already brought) are dropped by seq. The caller feeds `live()` from the socket listener
 * it registered before calling `catchUp()`, so nothing committed meanwhile can fall between them.
 */
export class ConversationStream {
  private last: number;
  private readonly held = new Map<number, MessageDto>();
  private syncing: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    readonly conversationId: string,
    private readonly fetchAfter: FetchAfter,
    private readonly options: ConversationStreamOptions,
  ) {
    this.last = options.afterSeq;
  }

  /** The seq of the last message delivered. */
  get lastSeq(): number {
    return this.last;
  }

  get active(): boolean {
    return !this.stopped;
  }

  /** A live `message:new` of this conversation. */
  live(message: MessageDto): void {
    if (this.stopped || message.seq <= this.last) return;
    if (!this.syncing && message.seq === this.last + 1) {
      this.deliver(message);
      this.drain();
      return;
    }
    this.held.set(message.seq, message);
    // Ahead of what we have and no catch-up running: something was missed, go and get it.
    if (!this.syncing) void this.catchUp();
  }

  /** Fetches everything after the last delivered seq, then releases the held live events. */
  catchUp(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.syncing) {
      this.again = true;
      return this.syncing;
    }
    const run = this.sync().finally(() => {
      this.syncing = null;
    });
    this.syncing = run;
    return run;
  }

  stop(): void {
    this.stopped = true;
    this.held.clear();
  }

  private async sync(): Promise<void> {
    let failures = 0;
    let rounds = 0;
    while (!this.stopped) {
      this.again = false;
      const before = this.last;
      try {
        await this.fetchAll();
        failures = 0;
      } catch (error) {
        if (this.stopped) return;
        this.report(error);
        if (error instanceof BaatCheetApiError && FINAL.has(error.status)) {
          this.stop();
          return;
        }
        failures += 1;
        await this.pause(backoffDelay(failures, this.options.backoff));
        continue;
      }
      this.drain();
      if (!this.again && !this.hasGap()) return;
      // An event ahead of what the pages held: the page was read just before that message
      // committed. Fetch again, pausing if the last round brought nothing new.
      rounds = this.last === before ? rounds + 1 : 0;
      if (rounds > 0) await this.pause(backoffDelay(rounds, this.options.backoff));
    }
  }

  private async fetchAll(): Promise<void> {
    const limit = this.options.pageSize ?? 100;
    while (!this.stopped) {
      const page = await this.fetchAfter(this.last, limit);
      if (this.stopped) return;
      for (const message of [...page.items].sort((a, b) => a.seq - b.seq)) {
        if (message.seq === this.last + 1) this.deliver(message);
        else if (message.seq > this.last) this.held.set(message.seq, message);
      }
      this.drain();
      if (page.nextCursor === null || page.items.length === 0) return;
    }
  }

  private hasGap(): boolean {
    return this.held.size > 0;
  }

  /** Delivers held messages that now follow on, and forgets held ones already delivered. */
  private drain(): void {
    for (let next = this.held.get(this.last + 1); next; next = this.held.get(this.last + 1)) {
      this.deliver(next);
    }
    for (const seq of this.held.keys()) if (seq <= this.last) this.held.delete(seq);
  }

  private deliver(message: MessageDto): void {
    this.held.delete(message.seq);
    this.last = message.seq;
    try {
      this.options.onMessage(message);
    } catch (error) {
      this.report(error);
    }
  }

  private report(error: unknown): void {
    try {
      this.options.onError?.(error);
    } catch {
      // The app's error handler failing must not break the stream.
    }
  }

  private pause(ms: number): Promise<void> {
    return (this.options.sleep ?? defaultSleep)(ms);
  }
}
