import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { ChatEventMap } from './chat.events';

/**
 * Emits chat domain events. Services call it only after their transaction committed, so a
 * listener (the gateway) never announces something that was rolled back. A failing listener is
 * logged, never thrown back into the request that already succeeded.
 */
@Injectable()
export class ChatEventsPublisher {
  private readonly logger = new Logger('ChatEvents');

  constructor(private readonly emitter: EventEmitter2) {}

  publish<K extends keyof ChatEventMap>(event: K, payload: ChatEventMap[K]): void {
    if (payload.recipients.length === 0) return;
    try {
      this.emitter.emit(event, payload);
    } catch (error) {
      this.logger.error({ err: error, event }, 'chat event listener failed');
    }
  }
}
