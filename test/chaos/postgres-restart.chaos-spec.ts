import { setTimeout as delay } from 'node:timers/promises';
import { asUser, clientId, directBetween, groupOf } from '../support/chat';
import {
  Prober,
  startChaosCluster,
  statusCounts,
  verifyChatters,
  waitForCrossDelivery,
  type ChaosCluster,
} from '../support/chaos-cluster';
import { Chatter, type StoredMessage } from '../support/chatter';
import { closeAllSockets, connectSocket, emitWithAck } from '../support/socket';
import { signUpClients } from '../support/users';
import { waitFor } from '../support/wait';

const DOWN_MS = 6_000;

/**
 * The private PostgreSQL server is stopped (fast shutdown: every connection is terminated) and
 * started again while four clients chat through nginx over two replica processes: readiness goes
 * 503 and back to 200 with no replica restarted; sends in between get error acks, a retry with the
 * same clientMessageId after the restart stores exactly one message, and nothing acked is lost.
 */
describe('chaos: PostgreSQL restarted', () => {
  let cluster: ChaosCluster;
  const chatters: Chatter[] = [];
  const probers: Prober[] = [];

  beforeAll(async () => {
    cluster = await startChaosCluster();
  }, 400_000);

  afterAll(async () => {
    await Promise.all(probers.map((prober) => prober.stop()));
    for (const chatter of chatters) chatter.close();
    closeAllSockets();
    if (cluster && !cluster.postgres.running) await cluster.postgres.start();
    await cluster?.close();
  }, 60_000);

  it('readiness 503 then 200; error acks during the outage; retries store once; nothing acked lost', async () => {
    const { url } = cluster;
    const users = (await signUpClients(url, cluster.smtp, 4)).map((client) =>
      asUser(url, client.session),
    );
    const [owner, ...rest] = users;
    const group = await groupOf(owner, rest, 'pg-chaos');
    for (const [index, user] of users.entries()) {
      const chatter = new Chatter(`p${index}`, url, user, group);
      chatters.push(chatter);
      await chatter.connect();
    }
    const readiness = cluster.replicas.map(
      (replica) => new Prober(`${replica.url}/health/ready`, 'none', 100),
    );
    probers.push(...readiness);
    readiness.forEach((prober) => prober.start());
    // One more socket of the owner that sends by hand: the retry the contract promises.
    const retrier = await connectSocket(url, { token: owner.session.accessToken });
    const direct = await directBetween(owner, rest[0]);
    for (const chatter of chatters) chatter.start(50);
    await waitFor('every chatter to have 5 acks', () => chatters.every((c) => c.acked.size >= 5), {
      timeoutMs: 20_000,
    });

    const errorsBefore = chatters.map((c) => c.errorAcks.length + c.ackTimeouts);
    const codesBefore = chatters.map((c) => c.errorAcks.length);
    const stoppedAt = Date.now();
    await cluster.postgres.stop('fast');
    const retryId = clientId('retry');
    await delay(1_000);
    const duringOutage = await emitWithAck<StoredMessage>(
      retrier,
      'message:send',
      { conversationId: direct, clientMessageId: retryId, body: 'sent while PostgreSQL is down' },
      10_000,
    ).catch((error: Error) => ({
      ok: false as const,
      error: { code: `NO_ACK ${error.message}`, message: '' },
    }));
    await delay(Math.max(0, stoppedAt + DOWN_MS - Date.now()));
    const codesDuringOutage = chatters.flatMap((c, index) => c.errorAcks.slice(codesBefore[index]));
    const errorAcks = chatters.map(
      (c, index) => c.errorAcks.length + c.ackTimeouts - errorsBefore[index],
    );
    const restartAt = Date.now();
    await cluster.postgres.start();
    const startedAt = Date.now();

    const readyAgain = await waitFor(
      'both replicas ready again',
      () =>
        readiness.every((prober) =>
          prober.seen.some((probe) => probe.at >= startedAt && probe.status === 200),
        ),
      { timeoutMs: 30_000, intervalMs: 100 },
    )
      .then(() => Date.now() - startedAt)
      .catch((error: Error) => {
        const last = readiness.map((prober) => prober.seen.slice(-5));
        const logs = cluster.replicas.map((r) => r.process?.stdout().slice(-3000));
        throw new Error(
          `${error.message}; last probes ${JSON.stringify(last)}; logs ${logs.join('\n---\n')}`,
        );
      });
    const deliveryBack = await waitForCrossDelivery(chatters, startedAt, 30_000);
    const retried = await waitFor(
      'the retry with the same clientMessageId to be acked',
      async () => {
        const reply = await emitWithAck<StoredMessage>(retrier, 'message:send', {
          conversationId: direct,
          clientMessageId: retryId,
          body: 'sent while PostgreSQL is down',
        });
        return reply.ok ? reply.data : false;
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    const again = await emitWithAck<StoredMessage>(retrier, 'message:send', {
      conversationId: direct,
      clientMessageId: retryId,
      body: 'sent while PostgreSQL is down',
    });

    await Promise.all(readiness.map((prober) => prober.stop()));
    await Promise.all(chatters.map((chatter) => chatter.stop(30_000)));
    const report = await verifyChatters(cluster.sql, chatters);
    const { rows } = await cluster.sql.query<{ id: string; seq: string }>(
      'select id, seq from messages where client_message_id = $1',
      [retryId],
    );
    const firstDown = readiness.map(
      (prober) =>
        (prober.seen.find((p) => p.at >= stoppedAt && p.status === 503)?.at ?? NaN) - stoppedAt,
    );

    console.info(
      `chaos postgres: ${JSON.stringify({
        downMs: startedAt - stoppedAt,
        pgStartMs: startedAt - restartAt,
        readinessDuringOutage: readiness.map((prober) =>
          statusCounts(prober.between(stoppedAt + 2_000, restartAt)),
        ),
        readiness503AfterMs: firstDown,
        ready200AfterRestartMs: readyAgain,
        errorAcksOrTimeouts: errorAcks,
        errorCodes: statusCountsOf(codesDuringOutage),
        sendDuringOutage: duringOutage.ok ? 'acked' : duringOutage.error.code,
        deliveryBackMs: deliveryBack,
        retryStoredRows: rows.length,
        delivery: report,
      })}`,
    );

    if (!duringOutage.ok && duringOutage.error.code.startsWith('NO_ACK')) {
      console.info(cluster.replicas.map((r) => r.process?.stdout().slice(-4000)).join('\n---\n'));
    }
    expect(cluster.unexpectedExits()).toEqual([]);
    expect(cluster.replicas.every((replica) => replica.exits.length === 0)).toBe(true);
    for (const prober of readiness) {
      const during = prober.between(stoppedAt + 2_000, restartAt);
      expect(during.length).toBeGreaterThan(0);
      expect(during.every((probe) => probe.status === 503)).toBe(true);
    }
    expect(duringOutage).toMatchObject({ ok: false, error: { code: 'DEPENDENCY_UNAVAILABLE' } });
    expect(errorAcks.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(codesDuringOutage.filter((code) => code !== 'DEPENDENCY_UNAVAILABLE')).toEqual([]);
    expect(retried.clientMessageId).toBe(retryId);
    expect(again).toEqual({ ok: true, data: retried });
    expect(rows).toEqual([{ id: retried.id, seq: String(retried.seq) }]);
    expect(report.problems).toEqual([]);
  }, 240_000);
});

function statusCountsOf(codes: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const code of codes) counts[code] = (counts[code] ?? 0) + 1;
  return counts;
}
