import { Injectable, Logger } from '@nestjs/common';
import { ConversationsService } from './conversations.service';
import { WsServer } from './ws-server';

/** Typing stops by itself this long after the last `typing:start` (API.md). */
export const TYPING_TTL_MS = 5_000;
/** Repeats closer together than this refresh the timer without a new broadcast. */
const REPEAT_BROADCAST_MS = 2_000;

interface TypingState {
  conversationId: string;
  userId: string;
  socketId: string;
  /** Who was told `isTyping: true`: the fallback audience of the `false` if members can't be read. */
  recipients: string[];
  lastBroadcastAt: number;
  timer?: NodeJS.Timeout;
}

/**
 * Typing indicators. The state is a timer per (conversation, user) on the replica holding the
 * typist's socket: nothing shared is needed because the indicator only lives for 5 s. A repeat
 * refreshes it; `typing:stop`, the timer or the socket going away sends `isTyping: false`.
 *
 * Membership is checked on every event, repeats included, and each broadcast goes to the members
 * of that moment: someone removed from the conversation (on any replica) is refused at once and
 * gets none of its indicators any more.
 */
@Injectable()
export class TypingService {
  private readonly logger = new Logger('Typing');
  private readonly states = new Map<string, TypingState>();
  private readonly ending = new Set<Promise<void>>();

  constructor(
    private readonly conversations: ConversationsService,
    private readonly ws: WsServer,
  ) {}

  async start(userId: string, socketId: string, conversationId: string): Promise<null> {
    const key = keyOf(conversationId, userId);
    await this.conversations.assertMember(userId, conversationId);
    const current = this.states.get(key);
    if (current && Date.now() - current.lastBroadcastAt < REPEAT_BROADCAST_MS) {
      // Announced moments ago: just keep it alive.
      current.socketId = socketId;
      this.arm(key, current);
      return null;
    }
    const recipients = await this.othersIn(conversationId, userId);
    const latest = this.states.get(key);
    if (latest) clearTimeout(latest.timer);
    const state: TypingState = {
      conversationId: conversationId.toLowerCase(),
      userId,
      socketId,
      recipients,
      lastBroadcastAt: Date.now(),
    };
    this.arm(key, state);
    this.states.set(key, state);
    this.ws.toUsers(recipients, 'typing', {
      conversationId: state.conversationId,
      userId,
      isTyping: true,
    });
    return null;
  }

  async stop(userId: string, conversationId: string): Promise<null> {
    const key = keyOf(conversationId, userId);
    try {
      await this.conversations.assertMember(userId, conversationId);
    } catch (error) {
      // No longer a member: the indicator the others saw still ends, but the answer is a refusal.
      if (this.states.has(key)) await this.end(key);
      throw error;
    }
    if (this.states.has(key)) await this.end(key);
    return null;
  }

  /** The socket that was typing went away: its indicators end now rather than in 5 s. */
  socketGone(socketId: string): void {
    for (const [key, state] of this.states) if (state.socketId === socketId) this.endLater(key);
  }

  /** Shutdown: every indicator of this replica ends (before the server and database close). */
  async shutdown(): Promise<void> {
    await Promise.all([...this.states.keys()].map((key) => this.end(key)));
    while (this.ending.size > 0) await Promise.allSettled([...this.ending]);
  }

  private arm(key: string, state: TypingState): void {
    clearTimeout(state.timer);
    state.timer = setTimeout(() => this.endLater(key), TYPING_TTL_MS);
    state.timer.unref();
  }

  private endLater(key: string): void {
    const ended = this.end(key);
    this.ending.add(ended);
    void ended.finally(() => this.ending.delete(ended));
  }

  /** Ends the indicator (once) and tells the conversation's current members but the typist. */
  private async end(key: string): Promise<void> {
    const state = this.states.get(key);
    if (!state) return;
    clearTimeout(state.timer);
    this.states.delete(key);
    let recipients: string[];
    try {
      recipients = await this.othersIn(state.conversationId, state.userId);
    } catch (error) {
      this.logger.debug(
        `typing end: members unreadable, using the start's audience: ${error instanceof Error ? error.message : String(error)}`,
      );
      recipients = state.recipients;
    }
    this.ws.toUsers(recipients, 'typing', {
      conversationId: state.conversationId,
      userId: state.userId,
      isTyping: false,
    });
  }

  private async othersIn(conversationId: string, userId: string): Promise<string[]> {
    return (await this.conversations.memberIds(conversationId)).filter((id) => id !== userId);
  }
}

function keyOf(conversationId: string, userId: string): string {
  return `${conversationId.toLowerCase()}:${userId}`;
}
