import { Injectable } from '@nestjs/common';
import { ChatEventsPublisher } from './chat-events.publisher';
import { ChatEvent } from './chat.events';
import { invalid, parseSeq } from './chat.rules';
import { ConversationsService } from './conversations.service';
import { MembersRepository } from './members.repository';

/**
 * Read receipts. A member's read pointer (last_read_seq) only moves forward: a lower seq is
 * ignored and answered with the current pointer. A seq beyond the conversation's last message is
 * refused (422): seqs come from the server, so a higher one is a client bug, not a race.
 */
@Injectable()
export class ReceiptsService {
  constructor(
    private readonly members: MembersRepository,
    private readonly conversations: ConversationsService,
    private readonly events: ChatEventsPublisher,
  ) {}

  async markRead(
    userId: string,
    conversationId: string,
    seq: unknown,
  ): Promise<{ lastReadSeq: number }> {
    const target = parseSeq(seq, 'seq');
    const membership = await this.conversations.membership(userId, conversationId);
    if (target > membership.lastSeq) {
      throw invalid(
        'seq',
        `seq must not be greater than the last message's (${membership.lastSeq})`,
      );
    }
    const moved = await this.members.advanceReadPointer(userId, membership.conversationId, target);
    if (moved === undefined) {
      return { lastReadSeq: Math.max(membership.lastReadSeq, target) };
    }
    const others = (await this.conversations.memberIds(membership.conversationId)).filter(
      (id) => id !== userId,
    );
    this.events.publish(ChatEvent.ReceiptRead, {
      recipients: others,
      payload: { conversationId: membership.conversationId, userId, seq: moved },
    });
    return { lastReadSeq: moved };
  }
}
