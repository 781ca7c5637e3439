/**
 * Chat clients for the fan-out scenarios (own process; the scenario starts several). Reads its
 * input as the first JSON line on stdin (it is too big for an environment variable), connects its
 * sockets (websocket transport), prints `{ "ready": true, connected, failed, firstError }`, then
 * runs one phase per JSON command line on stdin and prints one result line per phase:
 *
 * - `saturate`: `inFlight` `message:send`s in flight (closed loop: when an ack arrives, the next
 *   sender in turn sends), so the server runs as fast as it can without an unbounded queue.
 * - `rate`: open loop, `ratePerS` sends per second spread over this process's senders, whatever
 *   the acks do (a fixed offered rate, for latency).
 *
 * A body carries its sender's key and its send time (`performance.timeOrigin + now()`, comparable
 * across processes on one machine), so a receiver computes the send→receive latency from the
 * `message:new` alone. A delivery is a `message:new` on a socket other than the sender's (both the
 * server and the baseline also echo to the sender, which is received but not counted). Deliveries
 * are counted by receive time (saturate) or by send time (rate), against [measureFrom, measureTo]
 * (epoch ms).
 */
import { createInterface } from 'node:readline';
import { io, type Socket } from 'socket.io-client';
import { percentile } from '../lib/stats';

export interface ChatClientSpec {
  /** Access token (server under test); absent for the bare baseline. */
  token?: string;
  /** Rooms the bare baseline joins this socket to (the server uses its own membership). */
  rooms?: string[];
  /** The conversation this socket sends to, or null for a socket that only receives. */
  sendTo: string | null;
}

export interface ChatClientsInput {
  url: string;
  /** Distinguishes this process's senders (and clientMessageIds) from the other processes'. */
  tag: string;
  sockets: ChatClientSpec[];
  parallel?: number;
}

export interface ChatPhase {
  kind: 'saturate' | 'rate';
  /** Epoch ms: sending starts. */
  startAt: number;
  measureFrom: number;
  measureTo: number;
  /** Sending stops here; receiving goes on until `drainMs` later. */
  stopAt: number;
  drainMs: number;
  /** saturate: sends in flight in this process, taken by the senders in turn. */
  inFlight?: number;
  /** rate: sends per second of this process. */
  ratePerS?: number;
}

export interface ChatPhaseResult {
  kind: ChatPhase['kind'];
  sent: number;
  acked: number;
  ackErrors: number;
  ackErrorCodes: Record<string, number>;
  /** Acks that had not arrived when the phase ended. */
  unacked: number;
  /**
   * Deliveries (non-sender): saturate, received inside the measure window; rate, of the messages
   * sent inside the window (received before the phase ended).
   */
  delivered: number;
  /** Latencies (ms) of the deliveries inside the window: p50/p99 and their count. */
  latencies: number[];
  /** Sends made inside the window (rate: the expected deliveries are sends × recipients). */
  sentInWindow: number;
}

const epochNow = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function connect(url: string, spec: ChatClientSpec): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const auth: Record<string, unknown> = {};
    if (spec.token !== undefined) auth.token = spec.token;
    if (spec.rooms !== undefined) auth.rooms = spec.rooms;
    const socket = io(url, {
      auth,
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      timeout: 30_000,
    });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

interface Sender {
  socket: Socket;
  key: string;
  conversationId: string;
  counter: number;
}

async function main(): Promise<void> {
  const lines = createInterface({ input: process.stdin });
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  lines.on('line', (line) => {
    queue.push(line);
    wake?.();
  });
  lines.on('close', () => process.exit(0));
  const nextLine = async (): Promise<string> => {
    while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return queue.shift() ?? '';
  };

  const input = JSON.parse(await nextLine()) as ChatClientsInput;
  const sockets: Socket[] = new Array<Socket>(input.sockets.length);
  let failed = 0;
  let firstError: string | undefined;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < input.sockets.length) {
      const i = next++;
      try {
        sockets[i] = await connect(input.url, input.sockets[i]);
      } catch (error) {
        failed += 1;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: input.parallel ?? 50 }, worker));
  const connected = sockets.filter(Boolean).length;
  process.stdout.write(`${JSON.stringify({ ready: true, connected, failed, firstError })}\n`);

  const senders: Sender[] = [];
  // Receive side: counters of the current phase, reset by each command.
  let phase: ChatPhase | undefined;
  let delivered = 0;
  let latencies: number[] = [];
  input.sockets.forEach((spec, i) => {
    const socket = sockets[i];
    if (!socket) return;
    const key = `${input.tag}s${i}`;
    if (spec.sendTo !== null) {
      senders.push({ socket, key, conversationId: spec.sendTo, counter: 0 });
    }
    socket.on('message:new', (message: { body?: unknown }) => {
      const now = epochNow();
      if (!phase) return;
      const body = typeof message?.body === 'string' ? message.body : '';
      // "<senderKey> <sentAtEpochMs>"
      const space = body.indexOf(' ');
      if (space < 0 || body.slice(0, space) === key) return;
      const sentAt = Number(body.slice(space + 1));
      if (!Number.isFinite(sentAt)) return;
      if (phase.kind === 'saturate') {
        // Throughput: what arrived inside the window, whenever it was sent.
        if (now >= phase.measureFrom && now <= phase.measureTo) delivered += 1;
      } else if (sentAt >= phase.measureFrom && sentAt <= phase.measureTo) {
        // Latency: every delivery of a message sent inside the window, however late it arrives.
        delivered += 1;
        latencies.push(now - sentAt);
      }
    });
  });

  for (;;) {
    const command = JSON.parse(await nextLine()) as ChatPhase | { kind: 'exit' };
    if (command.kind === 'exit') break;
    phase = command;
    delivered = 0;
    latencies = [];
    const result = await runPhase(command, senders, input.tag);
    result.delivered = delivered;
    result.latencies = latencies;
    process.stdout.write(`${JSON.stringify(result)}\n`);
    phase = undefined;
  }
  for (const socket of sockets) socket?.close();
  process.exit(0);
}

async function runPhase(p: ChatPhase, senders: Sender[], tag: string): Promise<ChatPhaseResult> {
  const result: ChatPhaseResult = {
    kind: p.kind,
    sent: 0,
    acked: 0,
    ackErrors: 0,
    ackErrorCodes: {},
    unacked: 0,
    delivered: 0,
    latencies: [],
    sentInWindow: 0,
  };
  let inFlight = 0;
  let allAcked: (() => void) | undefined;

  const send = (sender: Sender, onAck?: () => void): void => {
    const sentAt = epochNow();
    sender.counter += 1;
    result.sent += 1;
    if (sentAt >= p.measureFrom && sentAt <= p.measureTo) result.sentInWindow += 1;
    inFlight += 1;
    sender.socket.emit(
      'message:send',
      {
        conversationId: sender.conversationId,
        clientMessageId: `${tag}-${sender.key}-${p.startAt}-${sender.counter}`,
        body: `${sender.key} ${sentAt}`,
      },
      (ack: { ok?: boolean; error?: { code?: string } }) => {
        inFlight -= 1;
        if (ack?.ok) result.acked += 1;
        else {
          result.ackErrors += 1;
          const code = ack?.error?.code ?? 'UNKNOWN';
          result.ackErrorCodes[code] = (result.ackErrorCodes[code] ?? 0) + 1;
        }
        onAck?.();
        if (inFlight === 0) allAcked?.();
      },
    );
  };

  await sleep(Math.max(0, p.startAt - epochNow()));
  if (p.kind === 'saturate') {
    let turn = 0;
    const loop = (): void => {
      if (epochNow() >= p.stopAt || senders.length === 0) return;
      send(senders[turn++ % senders.length], loop);
    };
    for (let slot = 0; slot < (p.inFlight ?? senders.length); slot++) loop();
    await sleep(Math.max(0, p.stopAt - epochNow()));
  } else if (senders.length > 0) {
    // Open loop on a 10 ms tick; the sends owed so far are computed from the elapsed time, so a
    // late tick (busy machine) catches up instead of lowering the offered rate.
    const rate = p.ratePerS ?? 0;
    let owed = 0;
    let index = 0;
    const started = epochNow();
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const now = epochNow();
        const due = Math.floor(((Math.min(now, p.stopAt) - started) / 1000) * rate);
        while (owed < due) {
          send(senders[index++ % senders.length]);
          owed += 1;
        }
        if (now >= p.stopAt) {
          clearInterval(timer);
          resolve();
        }
      }, 10);
    });
  }
  // Stragglers: wait for the outstanding acks (bounded), then a little for the last deliveries,
  // which the server emits before it acks but may reach another socket later.
  const drainUntil = p.stopAt + p.drainMs;
  if (inFlight > 0) {
    await Promise.race([
      new Promise<void>((resolve) => (allAcked = resolve)),
      sleep(Math.max(0, drainUntil - epochNow())),
    ]);
  }
  allAcked = undefined;
  await sleep(Math.max(0, Math.min(500, drainUntil - epochNow())));
  result.unacked = inFlight;
  return result;
}

/**
 * Merges the phase results of several processes into one. `expected` (rate phase: sends in the
 * window × recipients) counts every delivery that never arrived as infinitely late, so a server
 * that falls behind shows an unbounded p99 instead of the latency of the few it delivered.
 */
export function mergeResults(
  results: ChatPhaseResult[],
  expectedPerSend = 0,
): {
  sent: number;
  acked: number;
  ackErrors: number;
  ackErrorCodes: Record<string, number>;
  unacked: number;
  delivered: number;
  sentInWindow: number;
  p50Ms: number;
  p99Ms: number;
} {
  const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const expected = results.reduce((n, r) => n + r.sentInWindow, 0) * expectedPerSend;
  while (latencies.length < expected) latencies.push(Number.POSITIVE_INFINITY);
  const codes: Record<string, number> = {};
  for (const r of results)
    for (const [code, n] of Object.entries(r.ackErrorCodes)) codes[code] = (codes[code] ?? 0) + n;
  const sum = (pick: (r: ChatPhaseResult) => number): number =>
    results.reduce((total, r) => total + pick(r), 0);
  return {
    sent: sum((r) => r.sent),
    acked: sum((r) => r.acked),
    ackErrors: sum((r) => r.ackErrors),
    ackErrorCodes: codes,
    unacked: sum((r) => r.unacked),
    delivered: sum((r) => r.delivered),
    sentInWindow: sum((r) => r.sentInWindow),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n`);
    process.exit(1);
  });
}
