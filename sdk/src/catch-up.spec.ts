import type { MessageDto } from '../../src/contract';
import type { Page } from './api';
import { ConversationStream } from './catch-up';
import { BaatCheetApiError } from './errors';

const msg = (seq: number): MessageDto => ({
  id: `m${seq}`,
  conversationId: 'c1',
  seq,
  senderId: 'u1',
  clientMessageId: `cm${seq}`,
  body: `#${seq}`,
  replyToId: null,
  attachments: [],
  reactions: [],
  editedAt: null,
  deletedAt: null,
  createdAt: new Date(0).toISOString(),
});

/** A message store the fake `after=` endpoint pages through, with a controllable delay. */
function store(count: number) {
  const messages = Array.from({ length: count }, (_, i) => msg(i + 1));
  const requests: number[] = [];
  let gate: Promise<void> = Promise.resolve();
  const fetchAfter = jest.fn(async (after: number, limit: number): Promise<Page<MessageDto>> => {
    requests.push(after);
    await gate;
    const items = messages.filter((m) => m.seq > after).slice(0, limit);
    const more = messages.some((m) => m.seq > (items.at(-1)?.seq ?? after));
    return { items, nextCursor: more && items.length > 0 ? String(items.at(-1)!.seq) : null };
  });
  return {
    messages,
    requests,
    fetchAfter,
    add: (): MessageDto => {
      const next = msg(messages.length + 1);
      messages.push(next);
      return next;
    },
    hold: () => {
      let release!: () => void;
      gate = new Promise((resolve) => (release = resolve));
      return () => {
        gate = Promise.resolve();
        release();
      };
    },
  };
}

const noSleep = (): Promise<void> => Promise.resolve();

function stream(source: ReturnType<typeof store>, afterSeq = 0, pageSize = 3) {
  const delivered: number[] = [];
  const errors: unknown[] = [];
  const s = new ConversationStream('c1', source.fetchAfter, {
    afterSeq,
    pageSize,
    onMessage: (m) => delivered.push(m.seq),
    onError: (e) => errors.push(e),
    sleep: noSleep,
  });
  return { s, delivered, errors };
}

describe('ConversationStream', () => {
  it('catches up page by page after the given seq', async () => {
    const source = store(8);
    const { s, delivered } = stream(source, 2);
    await s.catchUp();
    expect(delivered).toEqual([3, 4, 5, 6, 7, 8]);
    expect(source.requests).toEqual([2, 5]);
    expect(s.lastSeq).toBe(8);
  });

  it('holds live events that arrive during the fetch and drops the ones the pages brought', async () => {
    const source = store(4);
    const { s, delivered } = stream(source);
    const release = source.hold();
    const syncing = s.catchUp();
    // Committed while the first page request is in flight: in the store AND pushed live.
    const five = source.add();
    const six = source.add();
    s.live(six);
    s.live(five);
    s.live(source.messages[1]); // a duplicate of seq 2
    release();
    await syncing;
    expect(delivered).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('delivers in-order live events directly and fetches when one arrives ahead of a gap', async () => {
    const source = store(2);
    const { s, delivered } = stream(source);
    await s.catchUp();
    const three = source.add();
    s.live(three);
    expect(delivered).toEqual([1, 2, 3]);
    expect(source.fetchAfter).toHaveBeenCalledTimes(1);
    source.add(); // 4 never arrives live (say, sent while the socket was down)
    const five = source.add();
    s.live(five);
    await s.catchUp();
    expect(delivered).toEqual([1, 2, 3, 4, 5]);
  });

  it('ignores live events again and again for the same seq (at most once)', async () => {
    const source = store(3);
    const { s, delivered } = stream(source);
    await s.catchUp();
    s.live(source.messages[2]);
    s.live(source.messages[2]);
    const four = source.add();
    s.live(four);
    s.live(four);
    expect(delivered).toEqual([1, 2, 3, 4]);
  });

  it('retries a failed page fetch and reports the error', async () => {
    const source = store(3);
    const failing = jest
      .fn<Promise<Page<MessageDto>>, [number, number]>()
      .mockRejectedValueOnce(new BaatCheetApiError(0, 'NETWORK_ERROR', 'offline'))
      .mockImplementation((after, limit) => source.fetchAfter(after, limit));
    const delivered: number[] = [];
    const errors: unknown[] = [];
    const s = new ConversationStream('c1', failing, {
      afterSeq: 0,
      onMessage: (m) => delivered.push(m.seq),
      onError: (e) => errors.push(e),
      sleep: noSleep,
    });
    await s.catchUp();
    expect(delivered).toEqual([1, 2, 3]);
    expect(errors).toHaveLength(1);
  });

  it('stops for good when the conversation is gone (404)', async () => {
    const gone = jest.fn(() =>
      Promise.reject(new BaatCheetApiError(404, 'CONVERSATION_NOT_FOUND', 'gone')),
    );
    const errors: unknown[] = [];
    const s = new ConversationStream('c1', gone, {
      afterSeq: 0,
      onMessage: () => undefined,
      onError: (e) => errors.push(e),
      sleep: noSleep,
    });
    await s.catchUp();
    expect(s.active).toBe(false);
    expect(gone).toHaveBeenCalledTimes(1);
    expect(errors).toHaveLength(1);
  });

  it('keeps every message once and in order under a random interleaving', async () => {
    for (let round = 0; round < 50; round += 1) {
      const source = store(0);
      const { s, delivered } = stream(source, 0, 4);
      const pending: Promise<void>[] = [];
      for (let i = 0; i < 30; i += 1) {
        const m = source.add();
        const r = Math.random();
        if (r < 0.5)
          s.live(m); // pushed live
        else if (r < 0.7) pending.push(s.catchUp()); // a reconnect
        // else: missed live, only a fetch brings it
        if (Math.random() < 0.3) s.live(source.messages[Math.floor(Math.random() * i)]); // stale dup
      }
      pending.push(s.catchUp());
      await Promise.all(pending);
      expect(delivered).toEqual(source.messages.map((m) => m.seq));
    }
  });
});
