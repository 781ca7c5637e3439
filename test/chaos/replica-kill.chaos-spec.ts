import { asUser, directBetween, groupOf } from '../support/chat';
import { startChaosCluster, verifyChatters, type ChaosCluster } from '../support/chaos-cluster';
import { Chatter } from '../support/chatter';
import { closeAllSockets } from '../support/socket';
import { signUpClients } from '../support/users';
import { waitFor } from '../support/wait';

const SEND_INTERVAL_MS = 30;

/**
 * Ten chatting sockets (a group of six and two direct pairs) through nginx over two replica
 * processes. Replica 0 (which also runs the queue workers) is SIGKILLed under load and started
 * again; then replica 1 gets SIGTERM (graceful: exit 0 within the grace period) and is started
 * again. After reconnects and catch-up, every member holds every acked message exactly once, in
 * seq order, as the API and PostgreSQL both say.
 */
describe('chaos: SIGKILL one replica, SIGTERM the other, restart both', () => {
  let cluster: ChaosCluster;
  const chatters: Chatter[] = [];

  beforeAll(async () => {
    cluster = await startChaosCluster();
  }, 400_000);

  afterAll(async () => {
    for (const chatter of chatters) chatter.close();
    closeAllSockets();
    await cluster?.close();
  }, 60_000);

  it('every acked message is held by every member exactly once, in seq order', async () => {
    const { url } = cluster;
    const users = (await signUpClients(url, cluster.smtp, 6)).map((client) =>
      asUser(url, client.session),
    );
    const group = await groupOf(users[0], users.slice(1), 'kill-chaos');
    const directs = [
      [users[0], users[1], await directBetween(users[0], users[1])],
      [users[2], users[3], await directBetween(users[2], users[3])],
    ] as const;
    for (const [index, user] of users.entries()) {
      chatters.push(new Chatter(`g${index}`, url, user, group));
    }
    for (const [index, [a, b, conversationId]] of directs.entries()) {
      chatters.push(new Chatter(`d${index}a`, url, a, conversationId));
      chatters.push(new Chatter(`d${index}b`, url, b, conversationId));
    }
    for (const chatter of chatters) await chatter.connect();
    for (const chatter of chatters) chatter.start(SEND_INTERVAL_MS);
    await waitFor('every chatter to have 5 acks', () => chatters.every((c) => c.acked.size >= 5), {
      timeoutMs: 30_000,
    });
    const [first, second] = cluster.replicas;
    const chattingAgain = async (since: number, what: string): Promise<number> => {
      await waitFor(
        what,
        () => chatters.every((c) => c.socket.connected && c.ackedSince(since) >= 3),
        { timeoutMs: 120_000, intervalMs: 100 },
      ).catch((error: Error) => {
        const state = chatters.map((c) => ({
          name: c.name,
          connected: c.socket.connected,
          active: c.socket.active,
          connects: c.connects,
          ackedSince: c.ackedSince(since),
          errorAcks: c.errorAcks.slice(-3),
          ackTimeouts: c.ackTimeouts,
          pending: c.pending.size,
        }));
        const logs = cluster.replicas.map((r) => `${r.index}: ${r.process?.stdout().slice(-1500)}`);
        const nginxLog = cluster.nginx.errorLog().slice(-3000);
        throw new Error(
          `${error.message}; ${JSON.stringify(state)}; ${logs.join(' --- ')}; nginx: ${nginxLog}`,
        );
      });
      return Date.now() - since;
    };

    const killedAt = Date.now();
    const killed = await first.signal('SIGKILL', 10_000);
    const afterKill = await chattingAgain(
      killedAt,
      'every chatter to chat again after the SIGKILL',
    );
    const droppedByKill = chatters.filter((c) => c.disconnects > 0).length;
    const restart0At = Date.now();
    await first.start();
    const restart0Ms = Date.now() - restart0At;

    const termAt = Date.now();
    const termed = await second.signal('SIGTERM', 20_000);
    const termMs = Date.now() - termAt;
    const afterTerm = await chattingAgain(termAt, 'every chatter to chat again after the SIGTERM');
    const restart1At = Date.now();
    await second.start();
    const restart1Ms = Date.now() - restart1At;
    await waitFor(
      'more acks with both replicas up',
      () => chatters.every((c) => c.ackedSince(restart1At + restart1Ms) >= 2),
      { timeoutMs: 30_000 },
    );

    await Promise.all(chatters.map((chatter) => chatter.stop(30_000)));
    const report = await verifyChatters(cluster.sql, chatters);
    console.info(
      `chaos replica kill: ${JSON.stringify({
        sigkill: killed,
        socketsDroppedByKill: droppedByKill,
        chattingAgainAfterKillMs: afterKill,
        replica0RestartMs: restart0Ms,
        sigterm: termed,
        sigtermExitMs: termMs,
        chattingAgainAfterTermMs: afterTerm,
        replica1RestartMs: restart1Ms,
        reconnects: chatters.map((c) => c.connects - 1),
        retriedAcks: chatters.reduce((sum, c) => sum + c.retriedAcks.length, 0),
        errorAcks: chatters.reduce((sum, c) => sum + c.errorAcks.length, 0),
        ackTimeouts: chatters.reduce((sum, c) => sum + c.ackTimeouts, 0),
        delivery: report,
      })}`,
    );

    expect(killed).toEqual({ code: null, signal: 'SIGKILL' });
    expect(termed).toEqual({ code: 0, signal: null });
    expect(cluster.unexpectedExits()).toEqual([]);
    expect(droppedByKill).toBeGreaterThan(0);
    expect(chatters.every((c) => c.connects >= 2)).toBe(true);
    expect(report.problems).toEqual([]);
    expect(report.acked).toBe(report.stored);
  }, 400_000);
});
