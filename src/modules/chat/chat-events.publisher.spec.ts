import { EventEmitter2 } from '@nestjs/event-emitter';
import { ChatEventsPublisher } from './chat-events.publisher';
import { ChatEvent } from './chat.events';

describe('ChatEventsPublisher', () => {
  const payload = { conversationId: 'c', userId: 'u', seq: 1 };

  it('emits to listeners', () => {
    const emitter = new EventEmitter2();
    const seen: unknown[] = [];
    emitter.on(ChatEvent.ReceiptRead, (event) => seen.push(event));
    new ChatEventsPublisher(emitter).publish(ChatEvent.ReceiptRead, { recipients: ['a'], payload });
    expect(seen).toEqual([{ recipients: ['a'], payload }]);
  });

  it('skips events nobody would receive', () => {
    const emitter = new EventEmitter2();
    const listener = jest.fn();
    emitter.on(ChatEvent.ReceiptRead, listener);
    new ChatEventsPublisher(emitter).publish(ChatEvent.ReceiptRead, { recipients: [], payload });
    expect(listener).not.toHaveBeenCalled();
  });

  it('never throws a failing listener back at the request that already committed', () => {
    const emitter = new EventEmitter2();
    emitter.on(ChatEvent.ReceiptRead, () => {
      throw new Error('socket layer broke');
    });
    const publisher = new ChatEventsPublisher(emitter);
    jest.spyOn(publisher['logger'], 'error').mockImplementation(() => undefined);
    expect(() =>
      publisher.publish(ChatEvent.ReceiptRead, { recipients: ['a'], payload }),
    ).not.toThrow();
  });
});
