import { SEQ_ORDER_MAX_WAIT_MS, SeqOrder } from './seq-order';

describe('SeqOrder', () => {
  afterEach(() => jest.useRealTimers());

  it('lets a higher seq go only after the lower seqs of its conversation released', async () => {
    const order = new SeqOrder();
    const published: number[] = [];
    const t1 = order.take('c', 1);
    const t2 = order.take('c', 2);
    const t3 = order.take('c', 3);
    const other = order.take('d', 1);
    // Commits answered out of order: 3, then 2, then 1.
    const go = (seq: number, turn: typeof t1) =>
      turn.ready().then(() => {
        published.push(seq);
        turn.release();
      });
    const done = [go(3, t3), go(2, t2)];
    await other.ready(); // another conversation never waits
    await Promise.resolve();
    expect(published).toEqual([]);
    await go(1, t1);
    await Promise.all(done);
    expect(published).toEqual([1, 2, 3]);
  });

  it('does not wait for equal seqs (a rolled-back send hands its seq on) nor released ones', async () => {
    const order = new SeqOrder();
    const rolledBack = order.take('c', 7);
    const again = order.take('c', 7);
    await again.ready();
    rolledBack.release();
    rolledBack.release(); // idempotent
    const next = order.take('c', 8);
    again.release();
    await next.ready();
  });

  it('gives up waiting after SEQ_ORDER_MAX_WAIT_MS (a lower commit whose answer never came)', async () => {
    jest.useFakeTimers();
    const order = new SeqOrder();
    order.take('c', 1); // never released
    let ready = false;
    const waiting = order
      .take('c', 2)
      .ready()
      .then(() => (ready = true));
    await jest.advanceTimersByTimeAsync(SEQ_ORDER_MAX_WAIT_MS - 1);
    expect(ready).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await waiting;
    expect(ready).toBe(true);
  });
});
