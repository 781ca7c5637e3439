import { SEQ_ORDER_MAX_WAIT_MS, SeqOrder, type SeqTicket } from './seq-order';

const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i += 1) await Promise.resolve();
};

describe('SeqOrder', () => {
  afterEach(() => jest.useRealTimers());

  const publishWhenReady = (published: number[], seq: number, ticket: SeqTicket) =>
    ticket.ready().then(() => {
      published.push(seq);
      ticket.release();
    });

  it('publishes in seq order when the answers come back out of order', async () => {
    const order = new SeqOrder();
    const published: number[] = [];
    const [a, b, c] = [order.begin('c'), order.begin('c'), order.begin('c')];
    const other = order.begin('d');
    // The answers arrive 3, 2, 1 (three connections).
    c.resolve(3);
    const done = [publishWhenReady(published, 3, c)];
    b.resolve(2);
    done.push(publishWhenReady(published, 2, b));
    other.resolve(1);
    await other.ready(); // another conversation never waits
    await flush();
    expect(published).toEqual([]);
    a.resolve(1);
    await publishWhenReady(published, 1, a);
    await Promise.all(done);
    expect(published).toEqual([1, 2, 3]);
  });

  it('waits for a send still unanswered, and goes first when that one turns out higher', async () => {
    const order = new SeqOrder();
    const published: number[] = [];
    const early = order.begin('c');
    const late = order.begin('c');
    late.resolve(4);
    const lateDone = publishWhenReady(published, 4, late);
    await flush();
    expect(published).toEqual([]); // early might hold 3
    early.resolve(5);
    await publishWhenReady(published, 5, early);
    await lateDone;
    expect(published).toEqual([4, 5]);
  });

  it('does not wait for a send begun after its answer, nor for a failed one', async () => {
    const order = new SeqOrder();
    const failed = order.begin('c');
    const first = order.begin('c');
    first.resolve(1);
    const later = order.begin('c'); // written after seq 1 committed: can only get a higher seq
    failed.release(); // failed before its answer
    failed.release(); // idempotent
    await first.ready();
    first.release();
    later.resolve(2);
    await later.ready();
  });

  it('gives up waiting after SEQ_ORDER_MAX_WAIT_MS (an answer that never came)', async () => {
    jest.useFakeTimers();
    const order = new SeqOrder();
    order.begin('c'); // never answered nor released
    const mine = order.begin('c');
    mine.resolve(2);
    let ready = false;
    const waiting = mine.ready().then(() => (ready = true));
    await jest.advanceTimersByTimeAsync(SEQ_ORDER_MAX_WAIT_MS - 1);
    expect(ready).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await waiting;
    expect(ready).toBe(true);
  });
});
