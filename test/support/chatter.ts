import { setTimeout as delay } from 'node:timers/promises';
import { io, type Socket } from 'socket.io-client';
import type { ChatUser } from './chat';
import type { AckReply, ChatClient } from './socket';

export interface StoredMessage {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  clientMessageId: string;
  body: string | null;
  createdAt: string;
}

export interface PresenceSeen {
  userId: string;
  status: 'online' | 'offline';
  /** Date.now() when it arrived. */
  at: number;
}

/**
 * A chat client that behaves like a well-written app over an unreliable connection: it
 * reconnects by itself (through whatever load balancer `url` is), sends one message at a time
 * with a clientMessageId and retries an unacked send with the SAME id until it is acked, and
 * after every reconnect catches up with `GET messages?after=<last seq it holds without a gap>`.
 * It keeps what it would show: one message per seq, whatever the path it came by.
 */
export class Chatter {
  readonly socket: ChatClient;
  /** What the client shows: seq → message (from message:new, acks and catch-up). */
  readonly held = new Map<number, StoredMessage>();
  /** message:new arrivals per message id (a duplicate delivery shows up as 2). */
  readonly deliveries = new Map<string, number>();
  /** Acked sends: clientMessageId → the stored message. */
  readonly acked = new Map<string, StoredMessage>();
  /** Sent but not acked yet: clientMessageId → body. Retried with the same id. */
  readonly pending = new Map<string, string>();
  /** Acks that came for a retry (the first attempt's ack was lost). */
  readonly retriedAcks: StoredMessage[] = [];
  readonly presence: PresenceSeen[] = [];
  /** The same seq held with two different ids (must stay empty). */
  readonly conflicts: string[] = [];
  /** Failed catch-ups or impossible acks (must stay empty). */
  readonly errors: string[] = [];
  /** Date.now() of every ack. */
  readonly ackTimes: number[] = [];
  /** The code of every error ack (`{ ok: false }`), in order. */
  readonly errorAcks: string[] = [];
  /** Sends that got no ack in time (or whose socket dropped meanwhile). */
  ackTimeouts = 0;
  connects = 0;
  disconnects = 0;
  private sent = 0;
  private stopRequested = false;
  private closed = false;
  private sending?: Promise<void>;
  private catchingUp: Promise<void> = Promise.resolve();
  private readonly attempts = new Map<string, number>();

  constructor(
    readonly name: string,
    url: string,
    /** REST as this user (through the load balancer). */
    readonly user: ChatUser,
    readonly conversationId: string,
  ) {
    this.socket = io(url, {
      auth: { token: user.session.accessToken },
      transports: ['websocket'],
      forceNew: true,
      reconnection: true,
      reconnectionDelay: 100,
      reconnectionDelayMax: 500,
      randomizationFactor: 0.5,
      timeout: 5_000,
      autoConnect: false,
    });
    this.socket.on('connect', () => {
      this.connects += 1;
      // After a reconnect: whatever was sent while this client was away.
      if (this.connects > 1) {
        this.catchUp().catch((error: unknown) => this.errors.push(String(error)));
      }
    });
    this.socket.on('disconnect', () => {
      this.disconnects += 1;
    });
    // A refused handshake (e.g. a replica that is shutting down) ends socket.io's own retries:
    // like a real app, try again (nginx sends the next try to another replica).
    this.socket.on('connect_error', () => {
      if (this.closed || this.socket.active) return;
      setTimeout(() => {
        if (!this.closed && !this.socket.connected) this.socket.connect();
      }, 200);
    });
    this.socket.on('message:new', (message) => {
      const stored = message as unknown as StoredMessage;
      if (stored.conversationId !== this.conversationId) return;
      this.deliveries.set(stored.id, (this.deliveries.get(stored.id) ?? 0) + 1);
      this.hold(stored);
    });
    this.socket.on('presence', (event) => {
      this.presence.push({ userId: event.userId, status: event.status, at: Date.now() });
    });
  }

  /** Connects (the first time); resolves once the handshake was accepted. */
  connect(timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.name}: not connected within ${timeoutMs} ms`));
      }, timeoutMs);
      const onConnect = (): void => {
        cleanup();
        resolve();
      };
      const onError = (error: Error): void => {
        cleanup();
        reject(new Error(`${this.name}: connect_error ${error.message}`));
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        this.socket.off('connect', onConnect);
        this.socket.off('connect_error', onError);
      };
      this.socket.on('connect', onConnect);
      this.socket.on('connect_error', onError);
      this.socket.connect();
    });
  }

  /** Highest seq such that this client holds every seq from 1 to it. */
  lastContiguousSeq(): number {
    let seq = 0;
    while (this.held.has(seq + 1)) seq += 1;
    return seq;
  }

  /** Acks received at or after `since` (a Date.now()). */
  ackedSince(since: number): number {
    return this.ackTimes.filter((at) => at >= since).length;
  }

  /** Pages `GET messages?after=<last contiguous seq>` until the end (one catch-up at a time). */
  catchUp(): Promise<void> {
    const run = async (): Promise<void> => {
      for (let page = 0; page < 1_000; page += 1) {
        const after = this.lastContiguousSeq();
        const res = await this.user.get(
          `/conversations/${this.conversationId}/messages?after=${after}&limit=100`,
        );
        if (res.status !== 200) {
          throw new Error(`${this.name}: catch-up got ${res.status} ${JSON.stringify(res.body)}`);
        }
        const messages = res.body.data as StoredMessage[];
        for (const message of messages) this.hold(message);
        if (res.body.page.nextCursor === null || messages.length === 0) return;
      }
    };
    this.catchingUp = this.catchingUp.then(run, run);
    return this.catchingUp;
  }

  /** Starts sending a message every `intervalMs` (retries first), until `stop()`. */
  start(intervalMs: number): void {
    this.stopRequested = false;
    this.sending ??= this.sendLoop(intervalMs).finally(() => (this.sending = undefined));
  }

  /** No new messages; keeps retrying the unacked ones until none is left or the deadline. */
  async stop(deadlineMs: number): Promise<void> {
    this.stopRequested = true;
    const deadline = Date.now() + deadlineMs;
    while (this.sending && Date.now() < deadline) await delay(20);
    if (this.sending) throw new Error(`${this.name}: ${this.pending.size} sends still unacked`);
  }

  close(): void {
    this.closed = true;
    this.stopRequested = true;
    this.socket.close();
  }

  private async sendLoop(intervalMs: number): Promise<void> {
    for (;;) {
      if (this.stopRequested && this.pending.size === 0) return;
      if (!this.socket.connected) {
        await delay(20);
        continue;
      }
      let clientMessageId = this.pending.keys().next().value;
      if (clientMessageId === undefined) {
        if (this.stopRequested) return;
        this.sent += 1;
        clientMessageId = `${this.name}-${this.sent}`;
        this.pending.set(clientMessageId, `${this.name} says ${this.sent}`);
      }
      await this.attempt(clientMessageId);
      await delay(intervalMs);
    }
  }

  private async attempt(clientMessageId: string): Promise<void> {
    const attempt = (this.attempts.get(clientMessageId) ?? 0) + 1;
    this.attempts.set(clientMessageId, attempt);
    let reply: AckReply<StoredMessage>;
    try {
      reply = (await (this.socket as unknown as Socket).timeout(2_000).emitWithAck('message:send', {
        conversationId: this.conversationId,
        clientMessageId,
        body: this.pending.get(clientMessageId),
      })) as AckReply<StoredMessage>;
    } catch {
      this.ackTimeouts += 1;
      return; // disconnected or no ack in time: retried with the same id
    }
    if (!reply.ok) {
      this.errorAcks.push(reply.error.code);
      await delay(100); // e.g. RATE_LIMITED or a dependency blip: retried with the same id
      return;
    }
    if (reply.data.clientMessageId !== clientMessageId) {
      this.errors.push(`${this.name}: the ack for ${clientMessageId} carries another message`);
      return;
    }
    this.ackTimes.push(Date.now());
    this.pending.delete(clientMessageId);
    this.acked.set(clientMessageId, reply.data);
    if (attempt > 1) this.retriedAcks.push(reply.data);
    this.hold(reply.data);
  }

  private hold(message: StoredMessage): void {
    const known = this.held.get(message.seq);
    if (known && known.id !== message.id) {
      this.conflicts.push(`seq ${message.seq}: ${known.id} and ${message.id}`);
      return;
    }
    this.held.set(message.seq, message);
  }
}
