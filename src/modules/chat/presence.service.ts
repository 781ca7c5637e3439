import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import type Redis from 'ioredis';
import { isDependencyDownError } from '../../common/errors/classify-error';
import { REDIS } from '../../infra/redis/redis.module';
import { PresenceDirectory, type Presence, type PresenceReader } from '../users/presence';
import { UsersService } from '../users/users.service';
import { ConversationsService } from './conversations.service';
import { WsServer } from './ws-server';

/** How long a socket counts as connected without a heartbeat from its replica (a crashed one). */
export const PRESENCE_TTL_MS = 30_000;
/**
 * After a user's last socket closes, offline is announced only if they haven't reconnected (to
 * any replica) within this long: a page reload or a network hop is not an offline/online pair.
 */
export const OFFLINE_GRACE_MS = 1_500;
const HEARTBEAT_MS = 10_000;
const SWEEP_MS = 10_000;
const SWEEP_BATCH = 200;

/** Sockets of one user: ZSET socketId → expiry (ms). */
const socketsKey = (userId: string): string => `presence:${userId}`;
/**
 * Users announced online and not yet announced offline: ZSET userId → until when they count as
 * online (their latest socket expiry, or the end of the grace after their last socket closed).
 * A score in the past is an offline transition for the sweeper (or the grace timer) to claim.
 */
const USERS_KEY = 'presence:users';

// KEYS: sockets key, users key. ARGV: socket id, now, expiry, user id, key ttl ms.
// Returns 1 when this socket made the user online (not listed, i.e. offline was announced or the
// user never was online); a reconnect within the grace, or before a dead replica's sockets were
// swept, returns 0: nobody was told the user had gone.
const CONNECT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
local listed = redis.call('ZSCORE', KEYS[2], ARGV[4])
redis.call('ZADD', KEYS[2], 'GT', ARGV[3], ARGV[4])
if listed then return 0 end
return 1`;

// KEYS: sockets key, users key. ARGV: socket id, now, user id, grace ms.
// When this socket was the user's last live one: with a grace, the user stays listed until
// now + grace and 2 is returned (the caller claims the transition after the grace); without,
// the transition is claimed at once and 1 is returned. Exactly one caller sees the 1 or 2.
const DISCONNECT = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
redis.call('DEL', KEYS[1])
if not redis.call('ZSCORE', KEYS[2], ARGV[3]) then return 0 end
if tonumber(ARGV[4]) <= 0 then
  redis.call('ZREM', KEYS[2], ARGV[3])
  return 1
end
redis.call('ZADD', KEYS[2], tonumber(ARGV[2]) + tonumber(ARGV[4]), ARGV[3])
return 2`;

// KEYS: sockets key, users key. ARGV: now, user id.
// Claims the offline transition of a user with no live socket whose listing ran out (a grace that
// ended, a dead replica's sockets); returns 1 to exactly one caller. A user who reconnected, or
// whose grace was extended by a later disconnect, is left alone.
const CLAIM_OFFLINE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if top[2] then
  redis.call('ZADD', KEYS[2], 'GT', top[2], ARGV[2])
  return 0
end
local score = redis.call('ZSCORE', KEYS[2], ARGV[2])
if not score or tonumber(score) > tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
return redis.call('ZREM', KEYS[2], ARGV[2])`;

interface PresenceRedis extends Redis {
  presenceConnect(
    sockets: string,
    users: string,
    socketId: string,
    now: number,
    expiry: number,
    userId: string,
    ttlMs: number,
  ): Promise<number>;
  presenceDisconnect(
    sockets: string,
    users: string,
    socketId: string,
    now: number,
    userId: string,
    graceMs: number,
  ): Promise<number>;
  presenceClaimOffline(
    sockets: string,
    users: string,
    now: number,
    userId: string,
  ): Promise<number>;
}

export type PresenceStatus = 'online' | 'offline';

/** An offline transition waiting for its grace to end, on the replica that saw the last socket go. */
interface PendingOffline {
  timer: NodeJS.Timeout;
  /** When the last socket closed: the lastSeenAt announced if the grace ends without a reconnect. */
  at: number;
  deadline: number;
}

/**
 * Who is online, shared by every replica through Redis. A user is online while any of their
 * sockets on any replica is connected: each replica keeps its sockets' entries alive with a
 * heartbeat, so the sockets of a replica that died expire by themselves, and a sweeper (on every
 * replica, claims made atomically) announces those users offline.
 *
 * When the last socket closes, offline waits OFFLINE_GRACE_MS: a reconnect in the meantime, on
 * any replica, cancels it, and the watchers see neither an offline nor a second online.
 *
 * Transitions are announced with `presence` to the user's friends and conversation peers, never
 * to a user blocked either way; going offline also stores users.last_seen_at.
 */
@Injectable()
export class PresenceService implements PresenceReader, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Presence');
  private readonly redis: PresenceRedis;
  /** This replica's sockets: socket id → user id. */
  private readonly local = new Map<string, string>();
  private readonly pending = new Map<string, PendingOffline>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private heartbeatTimer?: NodeJS.Timeout;
  private sweepTimer?: NodeJS.Timeout;
  private closing = false;

  constructor(
    @Inject(REDIS) redis: Redis,
    private readonly ws: WsServer,
    private readonly users: UsersService,
    private readonly conversations: ConversationsService,
    private readonly directory: PresenceDirectory,
  ) {
    if (!('presenceClaimOffline' in redis)) {
      redis.defineCommand('presenceConnect', { numberOfKeys: 2, lua: CONNECT });
      redis.defineCommand('presenceDisconnect', { numberOfKeys: 2, lua: DISCONNECT });
      redis.defineCommand('presenceClaimOffline', { numberOfKeys: 2, lua: CLAIM_OFFLINE });
    }
    this.redis = redis as PresenceRedis;
  }

  onModuleInit(): void {
    this.directory.use(this);
    this.heartbeatTimer = setInterval(() => void this.track(this.heartbeat()), HEARTBEAT_MS);
    this.heartbeatTimer.unref();
    // Jitter, so replicas started together don't sweep in lockstep.
    this.sweepTimer = setInterval(
      () => void this.track(this.sweepExpired()),
      SWEEP_MS + Math.floor(Math.random() * 2_000),
    );
    this.sweepTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.heartbeatTimer);
    clearInterval(this.sweepTimer);
  }

  /** A socket of `userId` connected on this replica. */
  connected(userId: string, socketId: string): Promise<void> {
    if (this.closing) return Promise.resolve();
    this.local.set(socketId, userId);
    return this.track(this.register(userId, socketId));
  }

  /**
   * A socket disconnected; if it was the user's last one anywhere, offline is announced after the
   * grace unless they reconnect (`graceMs` 0: at once, as at shutdown).
   */
  disconnected(socketId: string, graceMs = OFFLINE_GRACE_MS): Promise<void> {
    const userId = this.local.get(socketId);
    if (userId === undefined) return Promise.resolve();
    this.local.delete(socketId);
    return this.track(this.unregister(userId, socketId, graceMs));
  }

  /** users' PresenceReader: status for profiles and the friends list. */
  async read(
    subjects: readonly { id: string; lastSeenAt: Date | null }[],
  ): Promise<Map<string, Presence>> {
    const statuses = await this.statusOf(subjects.map((s) => s.id));
    const now = new Date();
    return new Map(
      subjects.map((s): [string, Presence] =>
        statuses.get(s.id) === 'online'
          ? [s.id, { status: 'online', lastSeenAt: now }]
          : [s.id, { status: 'offline', lastSeenAt: s.lastSeenAt }],
      ),
    );
  }

  /**
   * Online/offline of each user, one round trip: what was last announced, so a user inside the
   * grace still reads online, and one whose replica died reads offline once its sockets expired.
   */
  async statusOf(userIds: readonly string[]): Promise<Map<string, PresenceStatus>> {
    const ids = [...new Set(userIds)];
    if (ids.length === 0) return new Map();
    const now = Date.now();
    const scores = await this.redis.zmscore(USERS_KEY, ...ids);
    return new Map(
      ids.map((id, index) => {
        const until = scores[index];
        return [
          id,
          until !== null && until !== undefined && Number(until) > now ? 'online' : 'offline',
        ];
      }),
    );
  }

  /**
   * Shutdown: takes this replica's sockets out of presence at once (announcing whoever goes
   * offline, and whoever was in their grace here), so a rolling restart doesn't leave users
   * online for a TTL, and waits for the work.
   */
  async shutdown(): Promise<void> {
    this.closing = true;
    this.onModuleDestroy();
    const sockets = [...this.local.keys()];
    await Promise.all(sockets.map((socketId) => this.disconnected(socketId, 0)));
    await Promise.all([...this.pending.keys()].map((userId) => this.track(this.endGrace(userId))));
    await this.drain();
  }

  /** Waits for every presence update and announcement already started. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async register(userId: string, socketId: string): Promise<void> {
    const now = Date.now();
    const cameOnline = await this.redis.presenceConnect(
      socketsKey(userId),
      USERS_KEY,
      socketId,
      now,
      now + PRESENCE_TTL_MS,
      userId,
      PRESENCE_TTL_MS * 2,
    );
    // The socket may have gone while Redis answered: then its entry must not linger.
    if (!this.local.has(socketId)) {
      await this.unregister(userId, socketId, OFFLINE_GRACE_MS);
      return;
    }
    if (cameOnline === 1) await this.announce(userId, 'online', new Date(now));
  }

  private async unregister(userId: string, socketId: string, graceMs: number): Promise<void> {
    const now = Date.now();
    const outcome = await this.redis.presenceDisconnect(
      socketsKey(userId),
      USERS_KEY,
      socketId,
      now,
      userId,
      graceMs,
    );
    if (outcome === 1) await this.wentOffline(userId, new Date(now));
    else if (outcome === 2) this.startGrace(userId, now, now + graceMs);
  }

  /** The grace runs here; if this replica dies meanwhile, the sweepers claim it instead. */
  private startGrace(userId: string, at: number, deadline: number): void {
    clearTimeout(this.pending.get(userId)?.timer);
    const timer = setTimeout(
      () => void this.track(this.endGrace(userId)),
      Math.max(0, deadline - Date.now()),
    );
    timer.unref();
    this.pending.set(userId, { timer, at, deadline });
  }

  /**
   * Announces offline unless the user reconnected. At shutdown it runs before the deadline: the
   * claim still compares with the deadline, which a later disconnect elsewhere may have moved on.
   */
  private async endGrace(userId: string): Promise<void> {
    const pending = this.pending.get(userId);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pending.delete(userId);
    const claimed = await this.redis.presenceClaimOffline(
      socketsKey(userId),
      USERS_KEY,
      Math.max(Date.now(), pending.deadline),
      userId,
    );
    if (claimed === 1) await this.wentOffline(userId, new Date(pending.at));
  }

  private async heartbeat(): Promise<void> {
    if (this.local.size === 0) return;
    const now = Date.now();
    const expiry = now + PRESENCE_TTL_MS;
    const latest = new Map<string, string[]>();
    for (const [socketId, userId] of this.local) {
      latest.set(userId, [...(latest.get(userId) ?? []), socketId]);
    }
    const pipeline = this.redis.pipeline();
    for (const [userId, socketIds] of latest) {
      const key = socketsKey(userId);
      pipeline.zadd(key, ...socketIds.flatMap((id) => [expiry, id]));
      pipeline.pexpire(key, PRESENCE_TTL_MS * 2);
      pipeline.zadd(USERS_KEY, 'GT', expiry, userId);
    }
    await pipeline.exec();
  }

  /**
   * Announces offline the users whose every socket expired without a goodbye (their replica
   * died), or whose grace ended on a replica that died. Runs on a timer on every replica; each
   * user is claimed by exactly one of them.
   */
  async sweepExpired(): Promise<void> {
    const now = Date.now();
    const stale = await this.redis.zrangebyscore(USERS_KEY, '-inf', now, 'LIMIT', 0, SWEEP_BATCH);
    for (const userId of stale) {
      if (this.pending.has(userId)) continue; // its grace timer here will claim it
      const claimed = await this.redis.presenceClaimOffline(
        socketsKey(userId),
        USERS_KEY,
        now,
        userId,
      );
      if (claimed === 1) await this.wentOffline(userId, new Date(now));
    }
  }

  private async wentOffline(userId: string, at: Date): Promise<void> {
    await Promise.all([
      this.users.recordLastSeen(userId, at),
      this.announce(userId, 'offline', at),
    ]);
  }

  private async announce(userId: string, status: PresenceStatus, at: Date): Promise<void> {
    const audience = await this.audienceOf(userId);
    this.ws.toUsers(audience, 'presence', { userId, status, lastSeenAt: at.toISOString() });
  }

  /** Friends and conversation peers of the user, less anyone blocked either way. */
  private async audienceOf(userId: string): Promise<string[]> {
    const [peers, friends] = await Promise.all([
      this.conversations.peerIdsOf(userId),
      this.users.friendIdsOf(userId),
    ]);
    const candidates = [...new Set([...peers, ...friends])].filter((id) => id !== userId);
    if (candidates.length === 0) return [];
    const blocked = new Set(await this.users.blockedAmong(userId, candidates));
    return candidates.filter((id) => !blocked.has(id));
  }

  /** Keeps a background task from ever rejecting unhandled, and lets shutdown wait for it. */
  private track(task: Promise<void>): Promise<void> {
    const tracked = task.catch((error: unknown) => {
      const reason = error instanceof Error ? error.message : String(error);
      // An outage is logged by RedisService/the database already: don't repeat it every heartbeat.
      if (isDependencyDownError(error)) this.logger.debug(`presence update skipped: ${reason}`);
      else this.logger.warn(`presence update failed: ${reason}`);
    });
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
    return tracked;
  }
}
