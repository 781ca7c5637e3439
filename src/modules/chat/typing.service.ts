import { Injectable } from '@nestjs/common';
import { ConversationsService } from './conversations.service';
import { WsServer } from './ws-server';

/** Typing stops by itself this long after the last `typing:start` (API.md). */
export const TYPING_TTL_MS = 5_000;
/** Repeats closer together than this refresh the timer without a new broadcast and query. */
const REPEAT_BROADCAST_MS = 2_000;

interface TypingState {
  conversationId: string;
  userId: string;
  socketId: string;
  /** Who was told `isTyping: true` (the members but the typist), for the matching `false`. */
  recipients: string[];
  lastBroadcastAt: number;
  timer?: NodeJS.Timeout;
}

/**
 * Typing indicators. The state is a timer per (conversation, user) on the replica holding the
 * typist's socket: nothing shared is needed because the indicator only lives for 5 s. A repeat
 * refreshes it; `typing:stop`, the timer or the socket going away sends `isTyping: false`.
 */
@Injectable()
export class TypingService {
  private readonly states = new Map<string, TypingState>();

  constructor(
    private readonly conversations: ConversationsService,
    private readonly ws: WsServer,
  ) {}

  async start(userId: string, socketId: string, conversationId: string): Promise<null> {
    const key = keyOf(conversationId, userId);
    const current = this.states.get(key);
    if (current && Date.now() - current.lastBroadcastAt < REPEAT_BROADCAST_MS) {
      // Checked and announced moments ago: just keep it alive.
      current.socketId = socketId;
      this.arm(key, current);
      return null;
    }
    await this.conversations.assertMember(userId, conversationId);
    const recipients = (await this.conversations.memberIds(conversationId)).filter(
      (id) => id !== userId,
    );
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
    if (this.states.has(key)) {
      this.end(key);
      return null;
    }
    // Not typing here (or already expired): still answer like typing:start for non-members.
    await this.conversations.assertMember(userId, conversationId);
    return null;
  }

  /** The socket that was typing went away: its indicators end now rather than in 5 s. */
  socketGone(socketId: string): void {
    for (const [key, state] of this.states) if (state.socketId === socketId) this.end(key);
  }

  /** Shutdown: every indicator of this replica ends (best effort, before the server closes). */
  shutdown(): void {
    for (const key of [...this.states.keys()]) this.end(key);
  }

  private arm(key: string, state: TypingState): void {
    clearTimeout(state.timer);
    state.timer = setTimeout(() => this.end(key), TYPING_TTL_MS);
    state.timer.unref();
  }

  private end(key: string): void {
    const state = this.states.get(key);
    if (!state) return;
    clearTimeout(state.timer);
    this.states.delete(key);
    this.ws.toUsers(state.recipients, 'typing', {
      conversationId: state.conversationId,
      userId: state.userId,
      isTyping: false,
    });
  }
}

function keyOf(conversationId: string, userId: string): string {
  return `${conversationId.toLowerCase()}:${userId}`;
}
