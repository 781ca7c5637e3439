/**
 * Fan-out: `direct-chat` (D direct conversations, two sockets each, every socket sends to its
 * conversation) and `group-chat` (one group, one socket per member, every member sends to it).
 * A is the server under test: `message:send` over Socket.IO, acked after the message committed,
 * `message:new` to every member. B is the bare Socket.IO + Redis adapter relay
 * (bench/baselines/socketio-redis.ts) with the same sockets, rooms, payloads and acks, without
 * auth or persistence. Sockets live in `chatClientProcs` client processes (bench/load/chat-clients.ts),
 * connected afresh for each run. Each run has two phases:
 *
 * 1. saturate: `chatInFlight` sends in flight, taken by the senders in turn (closed loop):
 *    delivered messages/s (a
 *    delivery is one `message:new` on a socket other than the sender's, received in the window);
 * 2. rate: a fixed offered rate (open loop): p50/p99 send→receive latency over every delivery of
 *    the messages sent in the window.
 *
 * Users are seeded at bcrypt cost 4 and the server of these scenarios runs with BCRYPT_COST=4:
 * logging 2,000 users in at cost 12 would take minutes and says nothing about fan-out.
 */
import * as path from 'node:path';
import type { ChatClientSpec, ChatPhase, ChatPhaseResult } from '../load/chat-clients';
import { mergeResults } from '../load/chat-clients';
import {
  freePort,
  ROOT,
  startProcess,
  stopProcess,
  TS_NODE,
  waitHttpOk,
  type Started,
} from '../lib/proc';
import { median } from '../lib/stats';
import {
  targetMet,
  type BenchSettings,
  type Pair,
  type Scenario,
  type ScenarioContext,
  type ScenarioRow,
} from '../lib/scenario';
import {
  baselineScript,
  loginToken,
  seedUsers,
  startAppServer,
  stopAppServer,
  type SeededUser,
} from '../lib/server';

const FANOUT_BCRYPT_COST = 4;
const START_DELAY_MS = 1_000;
const DRAIN_MS = 5_000;

interface Layout {
  /** One entry per socket: user index, the conversation it sends to and its conversations. */
  sockets: { user: number; sendTo: number; rooms: number[] }[];
  /** Conversations as lists of member user indexes. */
  conversations: number[][];
  /** Deliveries per message (members minus the sender). */
  recipientsPerMessage: number;
  direct: boolean;
}

function directLayout(conversations: number): Layout {
  const convs = Array.from({ length: conversations }, (_, c) => [2 * c, 2 * c + 1]);
  return {
    conversations: convs,
    sockets: convs.flatMap((members, c) =>
      members.map((user) => ({ user, sendTo: c, rooms: [c] })),
    ),
    recipientsPerMessage: 1,
    direct: true,
  };
}

function groupLayout(members: number): Layout {
  return {
    conversations: [Array.from({ length: members }, (_, i) => i)],
    sockets: Array.from({ length: members }, (_, user) => ({ user, sendTo: 0, rooms: [0] })),
    recipientsPerMessage: members - 1,
    direct: false,
  };
}

async function inBatches<T, R>(
  items: T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

const ipOf = (i: number): string =>
  `10.${202 + Math.floor(i / 65_536)}.${(i >> 8) & 255}.${i & 255}`;

/** Creates the layout's conversations through the real REST API; returns their ids. */
async function createConversations(
  url: string,
  layout: Layout,
  users: SeededUser[],
  tokens: string[],
): Promise<string[]> {
  return inBatches(layout.conversations, 16, async (members) => {
    const [creator, ...others] = members;
    const body = layout.direct
      ? { type: 'direct', userId: users[others[0]].id }
      : { type: 'group', name: 'bench group', memberIds: others.map((o) => users[o].id) };
    const res = await fetch(`${url}/api/v1/conversations`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tokens[creator]}`,
        'content-type': 'application/json',
        'x-forwarded-for': ipOf(creator),
      },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as { data?: { id?: string } };
    if ((res.status !== 201 && res.status !== 200) || !json.data?.id) {
      throw new Error(`creating a conversation failed: ${res.status} ${JSON.stringify(json)}`);
    }
    return json.data.id;
  });
}

interface ClientProc {
  proc: Started;
  lines: string[];
  waiters: ((line: string) => void)[];
}

function startClients(url: string, tag: string, specs: ChatClientSpec[]): ClientProc {
  const proc = startProcess(
    `chat-clients-${tag}`,
    [...TS_NODE, path.join(ROOT, 'bench/load/chat-clients.ts')],
    process.env,
    ROOT,
    'pipe',
  );
  const client: ClientProc = { proc, lines: [], waiters: [] };
  let buffer = '';
  proc.child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let index: number;
    while ((index = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, index);
      buffer = buffer.slice(index + 1);
      if (!line.startsWith('{')) continue;
      const waiter = client.waiters.shift();
      if (waiter) waiter(line);
      else client.lines.push(line);
    }
  });
  proc.child.stdin?.write(`${JSON.stringify({ url, tag, sockets: specs })}\n`);
  return client;
}

function nextJson<T>(client: ClientProc, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.waiters = client.waiters.filter((w) => w !== take);
      reject(
        new Error(`${client.proc.name}: no answer within ${timeoutMs} ms:\n${client.proc.tail()}`),
      );
    }, timeoutMs);
    const onExit = (code: number | null): void => {
      clearTimeout(timer);
      reject(new Error(`${client.proc.name} exited with ${code}:\n${client.proc.tail()}`));
    };
    const take = (line: string): void => {
      clearTimeout(timer);
      client.proc.child.off('exit', onExit);
      resolve(JSON.parse(line) as T);
    };
    const queued = client.lines.shift();
    if (queued !== undefined) {
      take(queued);
      return;
    }
    client.proc.child.once('exit', onExit);
    client.waiters.push(take);
  });
}

interface RunResult {
  connected: number;
  failedSockets: number;
  firstError?: string;
  saturate: ReturnType<typeof mergeResults>;
  rate: ReturnType<typeof mergeResults>;
}

/** One run against one server: connect every socket, saturate, then the fixed rate. */
async function runOnce(
  url: string,
  specs: ChatClientSpec[],
  settings: BenchSettings,
  rate: number,
  side: string,
  recipientsPerSend: number,
): Promise<RunResult> {
  const procs = Math.min(settings.chatClientProcs, specs.length);
  // Whole conversations per process where possible (direct: both sockets of a pair together).
  const shards: ChatClientSpec[][] = Array.from({ length: procs }, () => []);
  specs.forEach((spec, i) => shards[Math.floor((i * procs) / specs.length)].push(spec));
  const runTag = `${side}${Date.now().toString(36)}`;
  const clients = shards.map((shard, i) => startClients(url, `${runTag}p${i}`, shard));
  try {
    const ready = await Promise.all(
      clients.map((c) =>
        nextJson<{ connected: number; failed: number; firstError?: string }>(c, 300_000),
      ),
    );
    const phase = async (
      kind: ChatPhase['kind'],
      extra: Partial<ChatPhase>,
    ): Promise<ReturnType<typeof mergeResults>> => {
      const startAt = Date.now() + START_DELAY_MS;
      const measureFrom = startAt + settings.warmupS * 1000;
      const measureTo = measureFrom + settings.chatDurationS * 1000;
      const command: ChatPhase = {
        kind,
        startAt,
        measureFrom,
        measureTo,
        stopAt: measureTo,
        drainMs: DRAIN_MS,
        ...extra,
      };
      for (const c of clients) c.proc.child.stdin?.write(`${JSON.stringify(command)}\n`);
      const timeoutMs = measureTo - Date.now() + DRAIN_MS + 60_000;
      return mergeResults(
        await Promise.all(clients.map((c) => nextJson<ChatPhaseResult>(c, timeoutMs))),
        kind === 'rate' ? recipientsPerSend : 0,
      );
    };
    const saturate = await phase('saturate', {
      inFlight: Math.max(1, Math.round(settings.chatInFlight / clients.length)),
    });
    const rateResult = await phase('rate', { ratePerS: rate / clients.length });
    for (const c of clients) c.proc.child.stdin?.write(`${JSON.stringify({ kind: 'exit' })}\n`);
    return {
      connected: ready.reduce((n, r) => n + r.connected, 0),
      failedSockets: ready.reduce((n, r) => n + r.failed, 0),
      firstError: ready.find((r) => r.firstError)?.firstError,
      saturate,
      rate: rateResult,
    };
  } finally {
    await Promise.all(clients.map((c) => stopProcess(c.proc, 5_000)));
  }
}

function fanoutScenario(kind: 'direct-chat' | 'group-chat'): Scenario {
  return async ({ settings, infra, buildDir, log }: ScenarioContext): Promise<ScenarioRow[]> => {
    const layout =
      kind === 'direct-chat'
        ? directLayout(settings.directConversations)
        : groupLayout(settings.groupMembers);
    const rate = kind === 'direct-chat' ? settings.directRate : settings.groupRate;
    const userCount = kind === 'direct-chat' ? layout.sockets.length : settings.groupMembers;
    const fanoutInfra = { ...infra, bcryptCost: FANOUT_BCRYPT_COST };
    const server = await startAppServer(buildDir, fanoutInfra);
    const barePort = await freePort();
    const bare = startProcess('socketio-redis', [baselineScript('socketio-redis')], {
      ...process.env,
      PORT: String(barePort),
      REDIS_URL: infra.redisUrl,
      REDIS_KEY_PREFIX: infra.redisKeyPrefix,
    });
    try {
      const users = await seedUsers(fanoutInfra, userCount, kind.replace('-', '_'));
      const t0 = Date.now();
      const tokens = await inBatches(users, 16, (u, i) => loginToken(server.url, u.email, ipOf(i)));
      const conversationIds = await createConversations(server.url, layout, users, tokens);
      log(
        `${kind}: ${users.length} users signed in, ${conversationIds.length} conversations created in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
      await waitHttpOk(bare, `http://127.0.0.1:${barePort}/health/ready`, 60_000);
      const appSpecs: ChatClientSpec[] = layout.sockets.map((s) => ({
        token: tokens[s.user],
        sendTo: conversationIds[s.sendTo],
      }));
      const bareSpecs: ChatClientSpec[] = layout.sockets.map((s) => ({
        rooms: s.rooms.map((r) => conversationIds[r]),
        sendTo: conversationIds[s.sendTo],
      }));

      const throughput: Pair[] = [];
      const p50: Pair[] = [];
      const p99: Pair[] = [];
      let errors = 0;
      const notes: string[] = [];
      for (let i = 0; i < settings.pairs; i++) {
        const a = await runOnce(
          server.url,
          appSpecs,
          settings,
          rate,
          'a',
          layout.recipientsPerMessage,
        );
        const b = await runOnce(
          `http://127.0.0.1:${barePort}`,
          bareSpecs,
          settings,
          rate,
          'b',
          layout.recipientsPerMessage,
        );
        const perS = (r: RunResult): number => r.saturate.delivered / settings.chatDurationS;
        throughput.push({ a: perS(a), b: perS(b), ratio: perS(a) / perS(b) });
        p50.push({ a: a.rate.p50Ms, b: b.rate.p50Ms, ratio: a.rate.p50Ms / b.rate.p50Ms });
        p99.push({ a: a.rate.p99Ms, b: b.rate.p99Ms, ratio: a.rate.p99Ms / b.rate.p99Ms });
        const failedA =
          a.failedSockets +
          a.saturate.ackErrors +
          a.saturate.unacked +
          a.rate.ackErrors +
          a.rate.unacked;
        errors += failedA;
        if (a.firstError) notes.push(`server handshake error: ${a.firstError}`);
        const codes: Record<string, number> = { ...a.saturate.ackErrorCodes };
        for (const [code, n] of Object.entries(a.rate.ackErrorCodes))
          codes[code] = (codes[code] ?? 0) + n;
        for (const [code, n] of Object.entries(codes))
          notes.push(`server ack error ${code} (x${n} in pair ${i + 1})`);
        const expected = (r: RunResult): number =>
          r.rate.sentInWindow * layout.recipientsPerMessage;
        const describe = (r: RunResult): string =>
          `${r.connected} sockets, saturate ${perS(r).toFixed(0)} deliveries/s (${(r.saturate.acked / (settings.chatDurationS + settings.warmupS)).toFixed(0)} acked sends/s), ` +
          `rate ${rate}/s: ${r.rate.sent} sent, ${r.rate.delivered}/${expected(r)} delivered, p50 ${r.rate.p50Ms.toFixed(1)} ms, p99 ${r.rate.p99Ms.toFixed(1)} ms, ` +
          `${r.saturate.ackErrors + r.rate.ackErrors} ack errors, ${r.saturate.unacked + r.rate.unacked} unacked`;
        log(`${kind} pair ${i + 1}: server ${describe(a)}; bare ${describe(b)}`);
        if (a.rate.delivered < expected(a)) {
          notes.push(
            `pair ${i + 1}: the server delivered ${a.rate.delivered} of ${expected(a)} expected messages of the ${rate}/s phase within ${DRAIN_MS / 1000} s after it ended`,
          );
        }
        if (b.rate.delivered < expected(b)) {
          notes.push(
            `pair ${i + 1}: the baseline delivered ${b.rate.delivered} of ${expected(b)} expected messages of the ${rate}/s phase`,
          );
        }
      }
      const sizeLabel =
        kind === 'direct-chat'
          ? `${layout.conversations.length} direct conversations, ${layout.sockets.length} sockets`
          : `1 group of ${settings.groupMembers}`;
      const row = (
        measure: string,
        unit: string,
        pairs: Pair[],
        target: string,
        met: (medianA: number, medianRatio: number) => boolean | null,
      ): ScenarioRow => {
        const medianRatio = median(pairs.map((p) => p.ratio));
        const medianA = median(pairs.map((p) => p.a));
        const judged = met(medianA, medianRatio);
        return {
          scenario: kind,
          measure,
          unit,
          baseline: 'bare Socket.IO + Redis adapter relay',
          target,
          pairs,
          medianA,
          medianB: median(pairs.map((p) => p.b)),
          medianRatio,
          met: judged === null ? null : errors === 0 && judged,
          errors,
          // Printed once per scenario, under its first row.
          notes: unit === 'msg/s' ? [...new Set(notes)] : [],
        };
      };
      const throughputTarget = kind === 'direct-chat' ? '>= 0.5' : '>= 0.7';
      return [
        row(
          `delivered msg/s at saturation, ${sizeLabel}`,
          'msg/s',
          throughput,
          throughputTarget,
          (_, r) => targetMet(r, throughputTarget),
        ),
        row(`p50 send→receive at ${rate} msg/s offered`, 'ms', p50, '-', () => null),
        row(
          `p99 send→receive at ${rate} msg/s offered`,
          'ms',
          p99,
          kind === 'direct-chat' ? 'server <= 50 ms' : '-',
          (a) => (kind === 'direct-chat' ? a <= 50 : null),
        ),
      ];
    } finally {
      await stopProcess(bare);
      await stopAppServer(server);
    }
  };
}

export const directChatScenario = fanoutScenario('direct-chat');
export const groupChatScenario = fanoutScenario('group-chat');
