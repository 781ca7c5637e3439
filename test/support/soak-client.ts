import { io, type Socket } from 'socket.io-client';
import type { ChatUser } from './chat';
import type { StoredMessage } from './chatter';
import type { AckReply } from './socket';

/** Totals a soak run keeps across all its clients. */
export interface SoakCounters {
  sent: number;
  acked: number;
  errorAcks: Record<string, number>;
  ackTimeouts: number;
  reads: number;
  typing: number;
  restCalls: number;
  rest5xx: number;
  restOther: Record<string, number>;
  catchUps: number;
  caughtUpMessages: number;
  reconnects: number;
  connectErrors: number;
}

export function newCounters(): SoakCounters {
  return {
    sent: 0,
    acked: 0,
    errorAcks: {},
    ackTimeouts: 0,
    reads: 0,
    typing: 0,
    restCalls: 0,
    rest5xx: 0,
    restOther: {},
    catchUps: 0,
    caughtUpMessages: 0,
    reconnects: 0,
    connectErrors: 0,
  };
}

/**
 * One device of a user in a soak: one socket that may be in several conversations, that keeps
 * what it would show per conversation (seq → message id), counts message:new per message id (a
 * duplicate shows up as 2) and seq inversions of live arrivals, and catches up through the API
 * after every reconnect. Sends are driven from outside (`send`), retried by the caller.
 */
export class SoakClient {
  readonly socket: Socket;
  /** conversationId → seq → message id */
  readonly held = new Map<string, Map<number, string>>();
  readonly deliveries = new Map<string, number>();
  /** Live message:new whose seq was below one already seen live in that conversation. */
  liveInversions = 0;
  readonly conflicts: string[] = [];
  private readonly lastLiveSeq = new Map<string, number>();
  private catchingUp: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    url: string,
    readonly user: ChatUser,
    readonly conversationIds: readonly string[],
    private readonly counters: SoakCounters,
  ) {
    for (const id of conversationIds) this.held.set(id, new Map());
    this.socket = io(url, {
      auth: { token: user.session.accessToken },
      transports: ['websocket'],
      forceNew: true,
      reconnection: true,
      reconnectionDelay: 200,
      reconnectionDelayMax: 2_000,
      timeout: 10_000,
      autoConnect: false,
    });
    let connects = 0;
    this.socket.on('connect', () => {
      connects += 1;
      if (connects > 1) void this.catchUpAll();
    });
    this.socket.on('connect_error', () => {
      counters.connectErrors += 1;
    });
    this.socket.on('message:new', (message: StoredMessage) => {
      const seen = this.held.get(message.conversationId);
      if (!seen) return;
      this.deliveries.set(message.id, (this.deliveries.get(message.id) ?? 0) + 1);
      const last = this.lastLiveSeq.get(message.conversationId) ?? 0;
      if (message.seq < last) this.liveInversions += 1;
      else this.lastLiveSeq.set(message.conversationId, message.seq);
      this.hold(message.conversationId, message.seq, message.id);
    });
  }

  connect(timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.socket.off('connect', onConnect);
        reject(new Error(`${this.name}: not connected within ${timeoutMs} ms`));
      }, timeoutMs);
      const onConnect = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.socket.once('connect', onConnect);
      this.socket.connect();
    });
  }

  /** Drops the connection and comes back (like a phone changing networks); catches up on connect. */
  reconnect(): void {
    this.counters.reconnects += 1;
    this.socket.disconnect();
    this.socket.connect();
  }

  /** One send attempt; resolves with the stored message or undefined (error ack or no ack). */
  async send(
    conversationId: string,
    clientMessageId: string,
    body: string,
  ): Promise<StoredMessage | undefined> {
    let reply: AckReply<StoredMessage>;
    try {
      reply = (await this.socket.timeout(10_000).emitWithAck('message:send', {
        conversationId,
        clientMessageId,
        body,
      })) as AckReply<StoredMessage>;
    } catch {
      this.counters.ackTimeouts += 1;
      return undefined;
    }
    if (!reply.ok) {
      this.counters.errorAcks[reply.error.code] =
        (this.counters.errorAcks[reply.error.code] ?? 0) + 1;
      return undefined;
    }
    this.counters.acked += 1;
    this.hold(conversationId, reply.data.seq, reply.data.id);
    return reply.data;
  }

  /** message:read up to the newest seq held (fire and forget, counted). */
  read(conversationId: string): void {
    const seqs = this.held.get(conversationId);
    if (!seqs || seqs.size === 0 || !this.socket.connected) return;
    const seq = Math.max(...seqs.keys());
    this.counters.reads += 1;
    this.socket.timeout(10_000).emit('message:read', { conversationId, seq }, () => undefined);
  }

  typing(conversationId: string): void {
    if (!this.socket.connected) return;
    this.counters.typing += 1;
    this.socket.timeout(10_000).emit('typing:start', { conversationId }, () => undefined);
  }

  lastContiguousSeq(conversationId: string): number {
    const seqs = this.held.get(conversationId);
    let seq = 0;
    while (seqs?.has(seq + 1)) seq += 1;
    return seq;
  }

  /** `GET messages?after=<last gapless seq>` for every conversation, to the end. */
  catchUpAll(): Promise<void> {
    const run = async (): Promise<void> => {
      for (const conversationId of this.conversationIds) await this.catchUp(conversationId);
    };
    this.catchingUp = this.catchingUp.then(run, run);
    return this.catchingUp;
  }

  private async catchUp(conversationId: string): Promise<void> {
    this.counters.catchUps += 1;
    for (let page = 0; page < 10_000; page += 1) {
      const after = this.lastContiguousSeq(conversationId);
      const res = await this.user.get(
        `/conversations/${conversationId}/messages?after=${after}&limit=100`,
      );
      this.counters.restCalls += 1;
      if (res.status >= 500) this.counters.rest5xx += 1;
      if (res.status !== 200) {
        const key = String(res.status);
        this.counters.restOther[key] = (this.counters.restOther[key] ?? 0) + 1;
        return;
      }
      const messages = res.body.data as StoredMessage[];
      for (const message of messages) {
        if (!this.held.get(conversationId)?.has(message.seq)) this.counters.caughtUpMessages += 1;
        this.hold(conversationId, message.seq, message.id);
      }
      if (res.body.page.nextCursor === null || messages.length === 0) return;
    }
  }

  close(): void {
    this.socket.close();
  }

  private hold(conversationId: string, seq: number, id: string): void {
    const seqs = this.held.get(conversationId);
    if (!seqs) return;
    const known = seqs.get(seq);
    if (known !== undefined && known !== id) {
      this.conflicts.push(`${conversationId} seq ${seq}: ${known} and ${id}`);
      return;
    }
    seqs.set(seq, id);
  }
}
