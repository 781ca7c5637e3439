import { Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
} from '@nestjs/websockets';
import type { ExtendedError } from 'socket.io';
import { AppException } from '../../common/errors/app.exception';
import { classifyError } from '../../common/errors/classify-error';
import type { MessageDto } from './chat.types';
import { MessagesService } from './messages.service';
import { PresenceService } from './presence.service';
import { ReceiptsService } from './receipts.service';
import { TypingService } from './typing.service';
import { answer, type AckAnswer } from './ws-ack';
import { WsAuthService } from './ws-auth.service';
import { WsRateLimiter, type WsRateClass } from './ws-rate-limit';
import {
  parsePayload,
  ReadPayload,
  RefreshPayload,
  SendMessagePayload,
  TypingPayload,
} from './ws-payloads';
import { sessionRoom, userRoom, WsServer, type ChatServer, type ChatSocket } from './ws-server';

/**
 * The Socket.IO edge of chat, and nothing more: authenticates in the handshake, joins the
 * `user:<id>` and `session:<id>` rooms, validates each event's payload, takes the event from the
 * user's rate budget (shared by replicas), calls one service and maps the outcome to an ack. The
 * services check membership on every event. Every handler resolves with an ack; none ever throws.
 *
 * A malformed payload is refused before the rate limiter (no I/O spent on it); anything that
 * reaches Redis or PostgreSQL is counted.
 */
@WebSocketGateway()
export class ChatGateway
  implements
    OnGatewayInit<ChatServer>,
    OnGatewayConnection<ChatSocket>,
    OnGatewayDisconnect<ChatSocket>,
    BeforeApplicationShutdown
{
  private readonly logger = new Logger('ChatGateway');
  private closing = false;

  constructor(
    private readonly ws: WsServer,
    private readonly auth: WsAuthService,
    private readonly presence: PresenceService,
    private readonly typing: TypingService,
    private readonly messages: MessagesService,
    private readonly receipts: ReceiptsService,
    private readonly limits: WsRateLimiter,
  ) {}

  afterInit(server: ChatServer): void {
    this.ws.attach(server);
    server.use((socket, next) => {
      void this.handshake(socket, next);
    });
  }

  handleConnection(socket: ChatSocket): void {
    const { userId, sessionId } = socket.data;
    void socket.join([userRoom(userId), sessionRoom(sessionId)]);
    this.auth.watchExpiry(socket);
    void this.presence.connected(userId, socket.id);
    void this.recheckSession(socket);
  }

  handleDisconnect(socket: ChatSocket): void {
    this.auth.forget(socket);
    this.typing.socketGone(socket.id);
    void this.presence.disconnected(socket.id);
  }

  /** Refuse new sockets, then take this replica's sockets out of presence before the server closes. */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    await Promise.all([this.typing.shutdown(), this.presence.shutdown()]);
  }

  /** Acked only after the message committed; a retry with the same clientMessageId gets the same message. */
  @SubscribeMessage('message:send')
  send(
    @ConnectedSocket() socket: ChatSocket,
    @MessageBody() raw: unknown,
  ): Promise<AckAnswer<MessageDto>> {
    return answer(this.logger, 'message:send', async () => {
      const payload = parsePayload(SendMessagePayload, raw);
      await this.admit(socket, 'message');
      return (await this.messages.send(socket.data.userId, payload)).message;
    });
  }

  @SubscribeMessage('message:read')
  read(
    @ConnectedSocket() socket: ChatSocket,
    @MessageBody() raw: unknown,
  ): Promise<AckAnswer<{ lastReadSeq: number }>> {
    return answer(this.logger, 'message:read', async () => {
      const { conversationId, seq } = parsePayload(ReadPayload, raw);
      await this.admit(socket, 'read');
      return this.receipts.markRead(socket.data.userId, conversationId, seq);
    });
  }

  @SubscribeMessage('typing:start')
  typingStart(
    @ConnectedSocket() socket: ChatSocket,
    @MessageBody() raw: unknown,
  ): Promise<AckAnswer<null>> {
    return answer(this.logger, 'typing:start', async () => {
      const { conversationId } = parsePayload(TypingPayload, raw);
      await this.limits.take(socket.data.userId, 'typing');
      return this.typing.start(socket.data.userId, socket.id, conversationId);
    });
  }

  @SubscribeMessage('typing:stop')
  typingStop(
    @ConnectedSocket() socket: ChatSocket,
    @MessageBody() raw: unknown,
  ): Promise<AckAnswer<null>> {
    return answer(this.logger, 'typing:stop', async () => {
      const { conversationId } = parsePayload(TypingPayload, raw);
      await this.limits.take(socket.data.userId, 'typing');
      return this.typing.stop(socket.data.userId, conversationId);
    });
  }

  @SubscribeMessage('auth:refresh')
  refresh(
    @ConnectedSocket() socket: ChatSocket,
    @MessageBody() raw: unknown,
  ): Promise<AckAnswer<{ expiresAt: string }>> {
    return answer(this.logger, 'auth:refresh', async () => {
      const { token } = parsePayload(RefreshPayload, raw);
      await this.limits.take(socket.data.userId, 'refresh');
      return this.auth.refresh(socket, token);
    });
  }

  private async handshake(
    socket: ChatSocket,
    next: (error?: ExtendedError) => void,
  ): Promise<void> {
    try {
      if (this.closing) throw new AppException('DEPENDENCY_UNAVAILABLE', 'Server is shutting down');
      socket.data = await this.auth.authenticate(socket.handshake);
      next();
    } catch (error) {
      const { code, message, unexpected } = classifyError(error);
      if (unexpected) this.logger.error({ err: error }, 'Unhandled error in socket handshake');
      const refusal: ExtendedError = new Error(message);
      refusal.data = { code, message };
      next(refusal);
    }
  }

  /**
   * Events that write are checked against the session like every HTTP request: a revocation whose
   * disconnect broadcast was lost (Redis pub/sub down at that moment) still stops the socket, and
   * while Redis does not answer the event fails closed (DEPENDENCY_UNAVAILABLE) instead of being
   * let through unchecked. The session check and the rate-limit take go out together (one round
   * trip's wait on the same Redis connection); the session's verdict comes first, so a dead
   * session or an unreachable Redis wins over RATE_LIMITED, as when they ran one after the other.
   */
  private async admit(socket: ChatSocket, rateClass: WsRateClass): Promise<void> {
    const [live, taken] = await Promise.allSettled([
      this.auth.isLive(socket.data),
      this.limits.take(socket.data.userId, rateClass),
    ]);
    if (live.status === 'rejected') throw live.reason;
    if (!live.value) {
      socket.emit('session:revoked', { sessionId: socket.data.sessionId });
      // After this event's error ack has gone out.
      setTimeout(() => socket.disconnect(true), 0);
      throw new AppException('UNAUTHORIZED', 'Session revoked or signed out');
    }
    if (taken.status === 'rejected') throw taken.reason;
  }

  /** A revocation that landed between the handshake's check and the room join would be missed. */
  private async recheckSession(socket: ChatSocket): Promise<void> {
    try {
      if (!(await this.auth.isLive(socket.data))) {
        socket.emit('session:revoked', { sessionId: socket.data.sessionId });
        socket.disconnect(true);
      }
    } catch {
      // Redis away: the handshake just succeeded, revocations still reach the session room.
    }
  }
}
