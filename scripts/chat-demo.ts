/**
 * Two users chatting through the load balancer: the end-to-end check of a running cluster.
 *
 *   npx ts-node -T scripts/chat-demo.ts [BASE_URL] [--messages N] [--mail-dir DIR]
 *     BASE_URL    nginx in front of the replicas (default http://127.0.0.1:8080, see scripts/cluster.sh)
 *     --messages  messages each user sends, alternating (default 3)
 *     --mail-dir  where the server writes dev mails when SMTP_URL is empty (default $MAIL_DEV_DIR or .data/mail)
 *
 * Registers alice and bob over REST (the OTPs are read from the dev mail folder), opens their
 * direct conversation, connects both over WebSocket only, then takes turns: typing, send (acked),
 * read receipt. Prints every message:new, receipt:read, typing and presence event each side
 * gets. Exit 0 when each side got every message exactly once, in seq order; 1 otherwise.
 *
 * Which replica a socket is on: nginx balances by ip_hash (the first three octets of the client's
 * address) and scripts/cluster.sh adds an X-Upstream header; on a loopback URL the demo picks a
 * source address for bob (127.0.N.1) whose requests land on another replica than alice's, so the
 * conversation crosses replicas through Redis. The replica shown is the X-Upstream of a request
 * from the same source address (a WebSocket's own handshake response isn't visible).
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { simpleParser, type AddressObject } from 'mailparser';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';

interface Message {
  id: string;
  seq: number;
  senderId: string;
  clientMessageId: string;
  body: string | null;
}
type Ack<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

/** The `data` of a success envelope. */
const dataOf = <T>(reply: Reply): T => (reply.body as { data: T }).data;

interface Side {
  name: string;
  id: string;
  token: string;
  localAddress?: string;
  replica: string;
  socket?: Socket;
  /** message:new payloads of the demo conversation, in arrival order. */
  received: Message[];
}

type Placement = Pick<Side, 'localAddress' | 'replica'>;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    messages: { type: 'string', default: '3' },
    'mail-dir': { type: 'string' },
  },
});
const base = new URL(positionals[0] ?? 'http://127.0.0.1:8080');
const perUser = Number(values.messages);
const mailDir = path.resolve(
  path.join(__dirname, '..'),
  values['mail-dir'] ?? process.env.MAIL_DEV_DIR ?? '.data/mail',
);
const loopback = /^127\.\d+\.\d+\.\d+$/.test(base.hostname) || base.hostname === 'localhost';
const started = Date.now();
const stamp = (): string => `+${((Date.now() - started) / 1000).toFixed(2)}s`.padStart(7);
const say = (line: string): void => console.log(`${stamp()}  ${line}`);

function request(
  method: string,
  pathname: string,
  options: { body?: unknown; token?: string; localAddress?: string; bearer?: boolean } = {},
): Promise<Reply> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      new URL(pathname, base),
      {
        method,
        family: loopback ? 4 : undefined,
        localAddress: options.localAddress,
        timeout: 10_000,
        headers: {
          accept: 'application/json',
          ...(payload ? { 'content-type': 'application/json' } : {}),
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...(options.bearer ? { 'x-auth-transport': 'bearer' } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${pathname}: no answer in 10 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

function expectStatus(reply: Reply, wanted: number[], what: string): void {
  if (!wanted.includes(reply.status)) {
    throw new Error(`${what}: HTTP ${reply.status} ${JSON.stringify(reply.body)}`);
  }
}

/** The replica that served a request from `localAddress` (X-Upstream; the last one if retried). */
async function replicaFor(localAddress?: string): Promise<string | undefined> {
  const reply = await request('GET', '/health/live', { localAddress });
  const header = reply.headers['x-upstream'];
  const value = Array.isArray(header) ? header[0] : header;
  return value?.split(',').pop()?.trim() || undefined;
}

/** Source addresses for alice and bob; on loopback, bob's lands on another replica when it can. */
async function placeUsers(): Promise<[Placement, Placement]> {
  const alice: Placement = { localAddress: undefined, replica: '?' };
  alice.replica = (await replicaFor()) ?? '?';
  const bob = { ...alice };
  if (loopback && alice.replica !== '?') {
    for (let net = 1; net <= 24; net += 1) {
      const address = `127.0.${net}.1`;
      const replica = await replicaFor(address).catch(() => undefined);
      if (replica && replica !== alice.replica) return [alice, { localAddress: address, replica }];
    }
  }
  return [alice, bob];
}

async function otpFor(email: string, since: number): Promise<string> {
  const deadline = Date.now() + 20_000;
  const seen = new Set<string>();
  while (Date.now() < deadline) {
    const files = await readdir(mailDir).catch(() => [] as string[]);
    for (const file of files.filter((name) => name.endsWith('.eml') && !seen.has(name))) {
      const full = path.join(mailDir, file);
      if ((await stat(full)).mtimeMs < since - 1_000) {
        seen.add(file);
        continue;
      }
      const mail = await simpleParser(await readFile(full));
      const to = (Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : []).flatMap(
        (group: AddressObject) => group.value.map((entry) => entry.address?.toLowerCase()),
      );
      seen.add(file);
      if (!to.includes(email)) continue;
      const code = /^[ \t]*(\d{6})[ \t]*$/m.exec(mail.text ?? '');
      if (code) return code[1];
    }
    await delay(200);
  }
  throw new Error(
    `no OTP mail to ${email} in ${mailDir} within 20 s: the demo reads the dev mail folder, so ` +
      'the cluster must run with SMTP_URL empty and WORKERS=on on a replica (scripts/cluster.sh does)',
  );
}

async function signUp(name: string, placement: Placement): Promise<Side> {
  const tag = randomBytes(3).toString('hex');
  const credentials = {
    username: `${name}_${tag}`,
    email: `${name}.${tag}@example.com`,
    password: `demo passphrase ${tag} ${name}`,
  };
  const since = Date.now();
  const local = { localAddress: placement.localAddress };
  expectStatus(
    await request('POST', '/api/v1/auth/register', { ...local, body: credentials }),
    [202],
    `register ${name}`,
  );
  const otp = await otpFor(credentials.email, since);
  const verified = await request('POST', '/api/v1/auth/verify-otp', {
    ...local,
    bearer: true,
    body: { email: credentials.email, otp },
  });
  expectStatus(verified, [201], `verify ${name}`);
  say(`${name.padEnd(5)} registered as ${credentials.username} (OTP read from the mail folder)`);
  const data = dataOf<{ user: { id: string }; tokens: { accessToken: string } }>(verified);
  return {
    name,
    id: data.user.id,
    token: data.tokens.accessToken,
    ...placement,
    received: [],
  };
}

function connect(side: Side, conversationId: string, names: Map<string, string>): Promise<void> {
  const options: Partial<ManagerOptions & SocketOptions> & { localAddress?: string } = {
    transports: ['websocket'],
    auth: { token: side.token },
    reconnection: false,
    forceNew: true,
    timeout: 5_000,
    localAddress: side.localAddress,
  };
  const socket = io(base.origin, options);
  side.socket = socket;
  const who = (id: string): string => names.get(id) ?? id.slice(0, 8);
  const tag = `${side.name}@${side.replica}`.padEnd(22);
  socket.on('message:new', (m: Message) => {
    if ((m as unknown as { conversationId: string }).conversationId !== conversationId) return;
    side.received.push(m);
    say(`${tag} message:new   seq=${m.seq} from ${who(m.senderId)}: ${JSON.stringify(m.body)}`);
  });
  socket.on('receipt:read', (r: { userId: string; seq: number }) =>
    say(`${tag} receipt:read  ${who(r.userId)} read up to seq=${r.seq}`),
  );
  socket.on('typing', (t: { userId: string; isTyping: boolean }) =>
    say(`${tag} typing        ${who(t.userId)} ${t.isTyping ? 'is typing…' : 'stopped typing'}`),
  );
  socket.on('presence', (p: { userId: string; status: string; lastSeenAt: string | null }) =>
    say(`${tag} presence      ${who(p.userId)} is ${p.status}`),
  );
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      say(`${tag} connected through ${base.origin} (websocket, socket ${socket.id})`);
      resolve();
    });
    socket.once('connect_error', (error: Error & { data?: unknown }) =>
      reject(
        new Error(`${side.name}: connect_error ${error.message} ${JSON.stringify(error.data)}`),
      ),
    );
  });
}

async function emit<T>(side: Side, event: string, payload: unknown): Promise<T> {
  const reply = (await side.socket!.timeout(5_000).emitWithAck(event, payload)) as Ack<T>;
  if (!reply.ok)
    throw new Error(`${side.name} ${event}: ${reply.error.code} ${reply.error.message}`);
  return reply.data;
}

/** Waits (bounded) for `check` to hold; false at the deadline. */
async function until(check: () => boolean, ms = 3_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await delay(20);
  }
  return true;
}

/** Every message exactly once, in seq order, and exactly the acked ones. */
function verify(side: Side, acked: Message[]): string[] {
  const problems: string[] = [];
  const ids = side.received.map((m) => m.id);
  if (new Set(ids).size !== ids.length) problems.push(`${side.name} got a message twice`);
  const seqs = side.received.map((m) => m.seq);
  if (seqs.some((seq, i) => i > 0 && seq <= seqs[i - 1])) {
    problems.push(`${side.name} got messages out of seq order: ${seqs.join(',')}`);
  }
  const want = acked.map((m) => m.id).sort();
  if (JSON.stringify([...new Set(ids)].sort()) !== JSON.stringify(want)) {
    problems.push(`${side.name} got ${ids.length} messages, ${want.length} were acked`);
  }
  return problems;
}

async function main(): Promise<number> {
  if (!Number.isInteger(perUser) || perUser < 1 || perUser > 50) {
    throw new Error('--messages must be a whole number from 1 to 50');
  }
  const ready = await request('GET', '/health/ready').catch((error: Error) => {
    throw new Error(`${base.origin} does not answer (${error.message}): is the cluster running?`);
  });
  expectStatus(ready, [200], `GET ${base.origin}/health/ready`);
  const [alicePlace, bobPlace] = await placeUsers();
  say(
    alicePlace.replica === '?'
      ? 'replicas: not discoverable (no X-Upstream header from this load balancer)'
      : `alice uses source ${alicePlace.localAddress ?? 'default'} → ${alicePlace.replica}; ` +
          `bob uses source ${bobPlace.localAddress ?? 'default'} → ${bobPlace.replica} (ip_hash)`,
  );
  const alice = await signUp('alice', alicePlace);
  const bob = await signUp('bob', bobPlace);
  const names = new Map([
    [alice.id, 'alice'],
    [bob.id, 'bob'],
  ]);
  const opened = await request('POST', '/api/v1/conversations', {
    token: alice.token,
    localAddress: alice.localAddress,
    body: { type: 'direct', userId: bob.id },
  });
  expectStatus(opened, [200, 201], 'open the direct conversation');
  const conversationId = dataOf<{ id: string }>(opened).id;
  say(`direct conversation ${conversationId}`);

  await connect(alice, conversationId, names);
  await connect(bob, conversationId, names);
  await delay(300); // alice's "bob is online"

  const acked: Message[] = [];
  const problems: string[] = [];
  for (let turn = 0; turn < perUser * 2; turn += 1) {
    const [from, to] = turn % 2 === 0 ? [alice, bob] : [bob, alice];
    await emit(from, 'typing:start', { conversationId });
    await delay(150);
    const body = `${from.name === 'alice' ? 'Namaste' : 'Salaam'} #${turn + 1} from ${from.name}`;
    const message = await emit<Message>(from, 'message:send', {
      conversationId,
      clientMessageId: `demo-${randomBytes(6).toString('hex')}`,
      body,
    });
    acked.push(message);
    say(`${`${from.name}@${from.replica}`.padEnd(22)} ack           seq=${message.seq} stored`);
    await emit(from, 'typing:stop', { conversationId });
    const arrived = await until(() =>
      [from, to].every((side) => side.received.some((m) => m.id === message.id)),
    );
    if (!arrived) problems.push(`seq=${message.seq} did not reach both sides within 3 s`);
    await emit(to, 'message:read', { conversationId, seq: message.seq });
    await delay(100);
  }
  await until(() => [alice, bob].every((side) => side.received.length >= acked.length));

  const offline = new Promise<void>((resolve) =>
    alice.socket!.on('presence', (p: { userId: string; status: string }) => {
      if (p.userId === bob.id && p.status === 'offline') resolve();
    }),
  );
  bob.socket!.close();
  await Promise.race([offline, delay(6_000)]); // presence may debounce a disconnect
  alice.socket!.close();

  const history = await request(
    'GET',
    `/api/v1/conversations/${conversationId}/messages?after=0&limit=100`,
    { token: alice.token },
  );
  expectStatus(history, [200], 'history');
  const stored = dataOf<Message[]>(history).map((m) => m.id);
  if (JSON.stringify(stored) !== JSON.stringify(acked.map((m) => m.id))) {
    problems.push('the stored history differs from the acked messages');
  }
  problems.push(...verify(alice, acked), ...verify(bob, acked));
  console.log('');
  for (const side of [alice, bob]) {
    console.log(
      `${side.name.padEnd(5)} (${side.replica}): ${side.received.length} message:new, seqs ${side.received.map((m) => m.seq).join(',')}`,
    );
  }
  console.log(`stored: ${stored.length} messages; acked: ${acked.length}`);
  if (problems.length > 0) {
    console.log(`FAILED:\n  ${problems.join('\n  ')}`);
    return 1;
  }
  console.log('OK: each side got every message exactly once, in seq order');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`chat-demo: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
