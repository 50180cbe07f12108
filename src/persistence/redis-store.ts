import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { PlanRecord } from '../../machines/plan/records.js';
import {
  LeaseLostError,
  OrchestratorOptionError,
  PersistenceError,
  RedisStoreError,
  RestoreError,
  StateLockedError,
  type StateOwner,
} from '../runtime/errors.js';
import type { StampedRecord } from '../runtime/records.js';
import { checkSnapshot, type PlanSnapshot } from './journal-fold.js';
import {
  COMMAND_TIMED_OUT,
  checkConnection,
  connectionError,
  describeConnection,
  openRedis,
  type RedisConnection,
  whenReady,
} from './redis-connection.js';
import { readJournalList } from './redis-journal.js';
import { DEFAULT_KEY_PREFIX, type PlanKeys, planKeys, plansKey } from './redis-keys.js';
import { ACQUIRE, APPEND, RELEASE, RENEW, SNAPSHOT } from './redis-scripts.js';
import type { JournalHeader, Store, StoredPlan } from './store.js';

export interface RedisStoreOptions {
  /** `redis://[user:password@]host:port[/db]` (`rediss://` for TLS), or ioredis options. */
  connection: RedisConnection;
  /** The plan's id: its keys are `<keyPrefix>:{<planId>}:…`. */
  planId: string;
  /**
   * How long the coordinator's lease lasts unless renewed (it is renewed every third of it):
   * after a coordinator dies, another may take the plan over this long after its last renewal.
   * Integer, 1,000 to 600,000 ms. Default 5,000.
   */
  leaseMs?: number;
  /** The prefix of every key. Default `plan-orchestrator`. */
  keyPrefix?: string;
  /** Where an outage and the recovery from it are reported. Default: a line on stderr. */
  warn?: (message: string) => void;
}

/** The coordinator holding a Redis-kept plan, as its lease names it. */
export interface LeaseOwner {
  ownerId: string;
  pid: number;
  host: string;
  /** ISO time the owner took the plan. */
  since: string;
  /** ISO time the lease runs out unless renewed. */
  expiresAt: string;
  /** The owner's fencing token: every new owner takes a larger one. */
  fence: number;
}

export const DEFAULT_LEASE_MS = 5000;
export const MIN_LEASE_MS = 1000;
export const MAX_LEASE_MS = 600_000;

interface Held {
  /** The lease value as stored (JSON of the owner without expiry). */
  text: string;
  fence: string;
}

type Reply = [string, ...(string | number)[]];

interface Scripts {
  planAcquire(
    lease: string,
    fence: string,
    head: string,
    ms: number,
  ): Promise<[number, string, number]>;
  planRenew(
    lease: string,
    fence: string,
    token: string,
    text: string,
    ms: number,
  ): Promise<[number, string?]>;
  planRelease(lease: string, fence: string, token: string): Promise<number>;
  planAppend(...args: (string | number)[]): Promise<Reply>;
  planSnapshot(
    snapshot: string,
    lease: string,
    fence: string,
    token: string,
    text: string,
  ): Promise<[number, string?]>;
}

/**
 * A plan's journal and snapshot in Redis, so that any machine can resume it. The journal is a
 * LIST (the header at index 0, record n at index n); every write is one Lua script that checks
 * the writer's fencing token, checks the journal's length, appends the lines and updates the
 * plan's summary, all at once. A write whose reply was lost (a dropped connection) is recognised
 * when tried again and not appended twice.
 *
 * One coordinator owns a plan through a lease (`leaseMs`, renewed every third of it) and a
 * fencing token: a coordinator that lost its lease (paused, cut off) and whose plan was taken over
 * cannot write a single record; its writes reject with a `LeaseLostError`.
 *
 * While Redis is unreachable every write is refused at once (the plan pauses at its `persistence`
 * checkpoint); the client reconnects by itself, and `onWritable` tells the plan to go on.
 *
 * Durability is Redis's: with `appendonly yes` and `appendfsync always`, a record Redis
 * acknowledged survives a crash of Redis; with `appendfsync everysec` the last second of writes
 * may not, and without an append-only file (Redis's default) everything since its last RDB save.
 */
export class RedisStore implements Store {
  readonly keys: PlanKeys;
  readonly planId: string;
  readonly leaseMs: number;
  /** The server (without password) and the journal's key, for messages. */
  readonly path: string;
  private readonly redis: Redis & Scripts;
  private readonly endpoint: string;
  private readonly warn: (message: string) => void;
  private readonly prefix: string;
  private buffer: string[] = [];
  /** The summary status the buffered records lead to, when one of them changes it. */
  private pendingStatus: { status: string; checkpoint: string } | null = null;
  private tail: Promise<void> = Promise.resolve();
  /** True until the header of a new journal is stored. */
  private starting = false;
  /** Elements of the journal (header included), as last written or read; null until known. */
  private length: number | null = null;
  private held: Held | null = null;
  /** Ownership is taken once: a store that gave it up (or lost it) never takes it back by writing. */
  private everOwned = false;
  private lost: LeaseLostError | null = null;
  private renewal: NodeJS.Timeout | null = null;
  private everReady = false;
  private down = false;
  private closed = false;
  private lastError: string | null = null;
  private readonly writable = new Set<() => void>();

  constructor(options: RedisStoreOptions) {
    const { planId, leaseMs = DEFAULT_LEASE_MS, keyPrefix = DEFAULT_KEY_PREFIX } = options;
    if (typeof planId !== 'string' || planId === '' || /[{}]/.test(planId)) {
      throw new OrchestratorOptionError(
        'planId',
        `RedisStore planId must be a non-empty string without { or }; got ${JSON.stringify(planId)}`,
      );
    }
    if (!Number.isInteger(leaseMs) || leaseMs < MIN_LEASE_MS || leaseMs > MAX_LEASE_MS) {
      throw new OrchestratorOptionError(
        'leaseMs',
        `RedisStore leaseMs must be an integer from ${MIN_LEASE_MS} to ${MAX_LEASE_MS} (milliseconds); got ${JSON.stringify(leaseMs)}`,
      );
    }
    if (typeof keyPrefix !== 'string' || keyPrefix === '') {
      throw new OrchestratorOptionError(
        'keyPrefix',
        `RedisStore keyPrefix must be a non-empty string; got ${JSON.stringify(keyPrefix)}`,
      );
    }
    checkConnection(options.connection);
    this.planId = planId;
    this.leaseMs = leaseMs;
    this.prefix = keyPrefix;
    this.keys = planKeys(planId, keyPrefix);
    this.endpoint = describeConnection(options.connection);
    this.path = `${this.endpoint} ${this.keys.journal}`;
    this.warn = options.warn ?? ((message) => process.stderr.write(`warning: ${message}\n`));
    // A write Redis has not answered within a lease cannot be counted on: the plan pauses.
    this.redis = openRedis(options.connection, leaseMs) as Redis & Scripts;
    this.redis.defineCommand('planAcquire', { numberOfKeys: 2, lua: ACQUIRE });
    this.redis.defineCommand('planRenew', { numberOfKeys: 2, lua: RENEW });
    this.redis.defineCommand('planRelease', { numberOfKeys: 2, lua: RELEASE });
    this.redis.defineCommand('planAppend', { numberOfKeys: 6, lua: APPEND });
    this.redis.defineCommand('planSnapshot', { numberOfKeys: 3, lua: SNAPSHOT });
    this.watchConnection();
  }

  private watchConnection(): void {
    this.redis.on('error', (error: Error) => {
      this.lastError = error.message;
    });
    this.redis.on('ready', () => {
      this.everReady = true;
      if (!this.down) return;
      this.down = false;
      this.warn(`Redis at ${this.endpoint} is reachable again; plan "${this.planId}" goes on`);
      this.tryAgain();
    });
    this.redis.on('close', () => {
      if (!this.everReady || this.down || this.closed) return;
      this.down = true;
      this.warn(
        `Redis at ${this.endpoint} is unreachable (${this.lastError ?? 'connection lost'}); plan "${this.planId}" pauses at its persistence checkpoint and goes on by itself when Redis is back`,
      );
    });
  }

  /** Connects (once); rejects with a `RedisStoreError` naming the server when it cannot. */
  private ready(): Promise<void> {
    if (this.closed) {
      return Promise.reject(
        new PersistenceError(this.path, new Error('this store was closed; open a new one')),
      );
    }
    return whenReady(this.redis, this.endpoint, this.everReady);
  }

  /**
   * Tells `listener` each time a plan paused at `persistence` should write again: Redis is
   * reachable after an outage, or the renewal found the plan taken over (the write then fails
   * with a `LeaseLostError`, which stops the plan instead of leaving it paused).
   */
  onWritable(listener: () => void): () => void {
    this.writable.add(listener);
    return () => this.writable.delete(listener);
  }

  private tryAgain(): void {
    if (this.closed) return;
    for (const listener of [...this.writable]) listener();
  }

  /** The acquisition under way: a first write and an explicit `acquire` share it. */
  private acquiring: Promise<void> | null = null;

  acquire(): Promise<void> {
    if (this.held) return Promise.resolve();
    this.acquiring ??= this.takeLease().finally(() => {
      this.acquiring = null;
    });
    return this.acquiring;
  }

  private async takeLease(): Promise<void> {
    await this.ready();
    const head = JSON.stringify({
      ownerId: randomUUID(),
      pid: process.pid,
      host: hostname(),
      since: new Date().toISOString(),
    }).slice(0, -1);
    const [won, text, ttl] = await this.run(
      () => this.redis.planAcquire(this.keys.lease, this.keys.fence, head, this.leaseMs),
      [
        [this.keys.lease, 'string'],
        [this.keys.fence, 'string'],
      ],
    );
    const owner = parseLease(text, ttl);
    if (!won || !owner) throw this.lockedBy(owner, text);
    this.held = { text, fence: String(owner.fence) };
    this.everOwned = true;
    this.lost = null;
    this.renewal = setInterval(() => this.renew(), Math.floor(this.leaseMs / 3));
    this.renewal.unref();
  }

  private lockedBy(owner: LeaseOwner | null, text: string): StateLockedError {
    if (!owner) {
      return new StateLockedError(
        this.path,
        null,
        `Plan "${this.planId}" in Redis at ${this.endpoint} is in use: its lease ${this.keys.lease} holds ${JSON.stringify(text.slice(0, 80))}, which names no coordinator; if none runs, delete that key`,
      );
    }
    const inSeconds = Math.max(0, (Date.parse(owner.expiresAt) - Date.now()) / 1000).toFixed(1);
    return new StateLockedError(
      this.path,
      toStateOwner(owner),
      `Plan "${this.planId}" in Redis at ${this.endpoint} is in use by process ${owner.pid} on host ${owner.host} (owner since ${owner.since}); its lease expires at ${owner.expiresAt} (in ${inSeconds} s) unless that coordinator renews it: wait for it to end, or resume once the lease has expired if it is gone`,
    );
  }

  private async renew(): Promise<void> {
    const held = this.held;
    if (!held || this.redis.status !== 'ready') return;
    try {
      const [ours, now] = await this.redis.planRenew(
        this.keys.lease,
        this.keys.fence,
        held.fence,
        held.text,
        this.leaseMs,
      );
      if (!ours && this.held === held) {
        this.markLost(now ?? '');
        this.tryAgain();
      }
    } catch {
      // Redis is unreachable: the next renewal (or write) tries again.
    }
  }

  private markLost(leaseText: string): LeaseLostError {
    this.stopRenewing();
    this.held = null;
    const owner = leaseText ? parseLease(leaseText, null) : null;
    const who = owner
      ? `process ${owner.pid} on host ${owner.host} took it over (fencing token ${owner.fence}, owner since ${owner.since})`
      : 'another coordinator took it over';
    this.lost = new LeaseLostError(
      this.path,
      owner ? toStateOwner(owner) : null,
      `Plan "${this.planId}" in Redis at ${this.endpoint} is no longer this coordinator's: its lease ran out (the process was paused or cut off for more than ${this.leaseMs} ms) and ${who}; this process writes nothing more to it`,
    );
    return this.lost;
  }

  private stopRenewing(): void {
    if (this.renewal) clearInterval(this.renewal);
    this.renewal = null;
  }

  /** Waits for the writes under way, then gives the plan up (only if the lease is still ours). */
  async relinquish(): Promise<void> {
    await this.tail.catch(() => {});
    const held = this.held;
    this.stopRenewing();
    if (!held) return;
    this.held = null;
    if (this.redis.status !== 'ready') return; // the lease runs out by itself
    await this.redis.planRelease(this.keys.lease, this.keys.fence, held.fence).catch(() => {});
  }

  /** Gives the plan up if held, stops renewing and disconnects. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.relinquish();
    this.closed = true;
    this.writable.clear();
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => {});
    this.redis.disconnect();
  }

  /** Who owns the plan now, if anyone (read only). */
  async owner(): Promise<LeaseOwner | null> {
    await this.ready();
    const [text, ttl] = await this.run(
      async () =>
        (await this.redis.multi().get(this.keys.lease).pttl(this.keys.lease).exec())!.map(
          ([error, value]) => {
            if (error) throw error;
            return value;
          },
        ) as [string | null, number],
      [[this.keys.lease, 'string']],
    );
    return text === null ? null : parseLease(text, ttl);
  }

  begin(header: JournalHeader): void {
    this.starting = true;
    this.length = 0;
    this.buffer.push(JSON.stringify(header));
    this.pendingStatus = { status: 'running', checkpoint: '' };
  }

  append(records: readonly StampedRecord[]): void {
    for (const record of records) {
      this.buffer.push(serialize(record));
      const status = statusAfter(record);
      if (status) this.pendingStatus = status;
    }
  }

  flush(): Promise<void> {
    // Writes run one after another; each takes what was buffered when it started.
    this.tail = this.tail.catch(() => {}).then(() => this.write());
    return this.tail;
  }

  private async write(): Promise<void> {
    if (this.buffer.length === 0) return;
    if (this.lost) throw this.lost;
    const lines = this.buffer;
    const status = this.pendingStatus;
    this.buffer = [];
    this.pendingStatus = null;
    try {
      await this.writeLines(lines, status);
    } catch (error) {
      this.buffer = lines.concat(this.buffer);
      this.pendingStatus ??= status;
      if (error instanceof LeaseLostError || error instanceof PersistenceError) throw error;
      throw new PersistenceError(this.path, error);
    }
  }

  private async writeLines(
    lines: string[],
    status: { status: string; checkpoint: string } | null,
  ): Promise<void> {
    if (!this.held) {
      if (this.everOwned) throw new Error('this store gave the plan up; it writes no more');
      await this.acquire();
    }
    this.failFastWhileDown();
    const held = this.held!;
    this.length ??= await this.redis.llen(this.keys.journal);
    const expected = this.length;
    const reply = await this.run(
      () =>
        this.redis.planAppend(
          this.keys.journal,
          this.keys.lease,
          this.keys.fence,
          this.keys.summary,
          plansKey(this.prefix),
          this.keys.snapshot,
          held.fence,
          held.text,
          this.leaseMs,
          expected,
          this.starting ? '1' : '0',
          this.planId,
          new Date().toISOString(),
          status?.status ?? '',
          status?.checkpoint ?? '',
          ...lines,
        ),
      [],
    );
    const [outcome, detail, kind] = reply;
    switch (outcome) {
      case 'ok':
      case 'done':
        this.length = Number(detail);
        this.starting = false;
        return;
      case 'lost':
        throw this.markLost(String(detail));
      case 'wrongtype':
        throw wrongType(String(detail), String(kind), this.endpoint);
      case 'journal':
        throw new StateLockedError(
          this.path,
          null,
          `Plan "${this.planId}" is already kept in Redis at ${this.endpoint} (${this.keys.journal} holds ${detail} entries); resume it with resumeOrchestrator, or use another plan id`,
          'STATE_HAS_JOURNAL',
        );
      default:
        throw new Error(
          `the journal ${this.keys.journal} holds ${detail} entries where ${expected} were expected: something else changed it; nothing was written (resume the plan to go on from what it holds)`,
        );
    }
  }

  /**
   * A connection on which Redis stopped answering is dropped and made again: the outage is then
   * reported, and the plan goes on once Redis answers (`onWritable`). A write that reached Redis
   * on the dropped connection is recognised by the next try and not appended twice.
   */
  private reconnectIfUnanswered(error: unknown): void {
    if ((error as Error)?.message === COMMAND_TIMED_OUT && this.redis.status === 'ready') {
      this.lastError = `no answer within ${this.leaseMs} ms`;
      this.redis.disconnect(true);
    }
  }

  /** While Redis is unreachable a write is refused at once: the plan pauses instead of waiting. */
  private failFastWhileDown(): void {
    if (this.redis.status === 'ready') return;
    throw new Error(
      `Redis at ${this.endpoint} is unreachable (${this.lastError ?? this.redis.status}); the plan goes on once it is back`,
    );
  }

  async writeSnapshot(snapshot: PlanSnapshot): Promise<void> {
    if (this.lost) throw this.lost;
    try {
      const held = this.held;
      if (!held) throw new Error('this store does not own the plan; it writes no snapshot');
      this.failFastWhileDown();
      const [ours, lease] = await this.redis.planSnapshot(
        this.keys.snapshot,
        this.keys.lease,
        this.keys.fence,
        held.fence,
        JSON.stringify(snapshot),
      );
      if (!ours) throw this.markLost(lease ?? '');
    } catch (error) {
      if (error instanceof LeaseLostError) throw error;
      this.reconnectIfUnanswered(error);
      throw new PersistenceError(`${this.endpoint} ${this.keys.snapshot}`, error);
    }
  }

  /** Reads the plan back; needs no lease (a status check reads a plan another process runs). */
  async load(): Promise<StoredPlan> {
    await this.ready();
    const { journal } = this.keys;
    const [kind, snapshotText] = await this.run(
      async () => [await this.redis.type(journal), await this.redis.get(this.keys.snapshot)],
      [[this.keys.snapshot, 'string']],
    );
    if (kind === 'none') {
      throw new RestoreError(
        this.path,
        null,
        `no plan "${this.planId}" is kept in Redis at ${this.endpoint} (${journal} does not exist); check the plan id, the database and the key prefix`,
      );
    }
    if (kind !== 'list') throw wrongType(journal, kind, this.endpoint);
    const snapshot = snapshotText === null ? null : this.parseSnapshot(snapshotText);
    const { header, records, length } = await readJournalList(
      this.redis,
      journal,
      snapshot,
      this.path,
    );
    this.length = length;
    this.starting = false;
    return { header, snapshot, records, warnings: [] };
  }

  private parseSnapshot(text: string): PlanSnapshot {
    const where = `${this.endpoint} ${this.keys.snapshot}`;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new RestoreError(where, null, 'the snapshot is not valid JSON');
    }
    return checkSnapshot(value, where);
  }

  /**
   * Runs a Redis call; a key of the wrong kind is named (with what it holds), a lost connection
   * or a refused password named with the server.
   */
  private async run<T>(call: () => Promise<T>, keys: [string, string][]): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const message = (error as Error).message ?? String(error);
      if (message.includes('WRONGTYPE')) {
        for (const [key, expected] of keys) {
          const kind = await this.redis.type(key).catch(() => expected);
          if (kind !== expected && kind !== 'none') throw wrongType(key, kind, this.endpoint);
        }
      }
      if (/NOAUTH|WRONGPASS/.test(message)) throw connectionError(error as Error, this.endpoint);
      if (message === COMMAND_TIMED_OUT) {
        this.reconnectIfUnanswered(error);
        throw connectionError(new Error(`no answer within ${this.leaseMs} ms`), this.endpoint);
      }
      throw error;
    }
  }
}

function wrongType(key: string, kind: string, endpoint: string): RedisStoreError {
  return new RedisStoreError(
    'REDIS_WRONG_TYPE',
    `Redis key ${key} at ${endpoint} holds a ${kind}, not what a plan keeps there; it belongs to something else: use another keyPrefix or database, or delete the key if it is stale`,
  );
}

function parseLease(text: string, ttl: number | null): LeaseOwner | null {
  try {
    const value = JSON.parse(text) as Partial<LeaseOwner>;
    if (
      typeof value.ownerId !== 'string' ||
      !Number.isInteger(value.pid) ||
      typeof value.host !== 'string' ||
      typeof value.since !== 'string' ||
      !Number.isInteger(value.fence)
    ) {
      return null;
    }
    const expiresAt = new Date(Date.now() + Math.max(0, ttl ?? 0)).toISOString();
    return {
      ownerId: value.ownerId,
      pid: value.pid!,
      host: value.host,
      since: value.since,
      expiresAt,
      fence: value.fence!,
    };
  } catch {
    return null;
  }
}

function toStateOwner(owner: LeaseOwner): StateOwner {
  return { pid: owner.pid, host: owner.host, startedAt: owner.since, ownerId: owner.ownerId };
}

/** What `plans` shows for a plan after a record (null: the record does not change it). */
function statusAfter(record: PlanRecord): { status: string; checkpoint: string } | null {
  switch (record.type) {
    case 'plan-started':
    case 'plan-restored':
    case 'plan-resumed':
      return { status: 'running', checkpoint: '' };
    case 'plan-paused':
      return { status: 'paused', checkpoint: record.checkpoint.name };
    case 'plan-completed':
      return { status: 'completed', checkpoint: '' };
    case 'plan-failed':
      return { status: 'failed', checkpoint: '' };
    case 'plan-canceled':
      return { status: 'canceled', checkpoint: '' };
    default:
      return null;
  }
}

function serialize(record: StampedRecord): string {
  try {
    return JSON.stringify(record);
  } catch (error) {
    const jobId = 'jobId' in record ? ` of job "${record.jobId}"` : '';
    throw new PersistenceError(`record ${record.seq} (${record.type}${jobId})`, error);
  }
}
