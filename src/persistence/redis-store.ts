import { rangeProblem } from '../plan/range.js';
import { OrchestratorOptionError } from '../shared/errors.js';
import type { StampedRecord } from '../shared/records.js';
import { checkConnection, describeConnection, type RedisConnection } from './redis-connection.js';
import { RedisJournalWriter } from './redis-journal-writer.js';
import { DEFAULT_KEY_PREFIX, type PlanKeys, planKeys } from './redis-keys.js';
import {
  DEFAULT_LEASE_MS,
  type LeaseOwner,
  MAX_LEASE_MS,
  MIN_LEASE_MS,
  RedisLease,
} from './redis-lease.js';
import { RedisLink } from './redis-link.js';
import type { PlanSnapshot } from './snapshot.js';
import type { JournalHeader, Store, StoredPlan } from './store.js';

export { DEFAULT_LEASE_MS, type LeaseOwner, MAX_LEASE_MS, MIN_LEASE_MS } from './redis-lease.js';

/** Where a `RedisStore` keeps a plan, and how long its coordinator's lease lasts. */
export interface RedisStoreOptions {
  /** `redis://[user:password@]host:port[/db]` (`rediss://` for TLS), or ioredis options. */
  connection: RedisConnection;
  /** The plan's id: its keys are `<keyPrefix>:{<planId>}:…`. */
  planId: string;
  /**
   * How long the coordinator's lease lasts unless renewed (it is renewed every third of it):
   * after a coordinator dies, another may take the plan over this long after its last renewal.
   *
   * Integer, `MIN_LEASE_MS` (1,000) to `MAX_LEASE_MS` (600,000) milliseconds.
   *
   * @default 5000 (`DEFAULT_LEASE_MS`)
   */
  leaseMs?: number;
  /**
   * The prefix of every key.
   *
   * @default 'plan-orchestrator' (`DEFAULT_KEY_PREFIX`)
   */
  keyPrefix?: string;
  /**
   * Where an outage and the recovery from it are reported.
   *
   * @default a `warning: …` line on `process.stderr`
   */
  warn?: (message: string) => void;
}

/**
 * A plan's journal and snapshot in Redis, so that any machine can resume it. The journal is a
 * LIST (the header at index 0, record n at index n); every write is one Lua script that checks
 * the writer's fencing token, checks the journal's length, appends the lines and updates the
 * plan's summary, all at once (`RedisJournalWriter`). A write whose reply was lost (a dropped
 * connection) is recognised when tried again and not appended twice.
 *
 * One coordinator owns a plan through a lease (`leaseMs`, renewed every third of it) and a
 * fencing token: a coordinator that lost its lease (paused, cut off) and whose plan was taken over
 * cannot write a single record; its writes reject with a `LeaseLostError` (`RedisLease`).
 *
 * While Redis is unreachable every write is refused at once (the plan pauses at its `persistence`
 * checkpoint); the client reconnects by itself, and `onWritable` tells the plan to go on
 * (`RedisLink`).
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
  private readonly link: RedisLink;
  private readonly lease: RedisLease;
  private readonly journal: RedisJournalWriter;

  constructor(options: RedisStoreOptions) {
    const { planId, leaseMs = DEFAULT_LEASE_MS, keyPrefix = DEFAULT_KEY_PREFIX } = options;
    if (typeof planId !== 'string' || planId === '' || /[{}]/.test(planId)) {
      throw new OrchestratorOptionError(
        'planId',
        `RedisStore planId must be a non-empty string without { or }; got ${JSON.stringify(planId)}`,
      );
    }
    const lease = { integer: true, min: MIN_LEASE_MS, max: MAX_LEASE_MS, unit: 'milliseconds' };
    const leaseProblem = rangeProblem('RedisStore leaseMs', leaseMs, lease);
    if (leaseProblem) throw new OrchestratorOptionError('leaseMs', leaseProblem);
    if (typeof keyPrefix !== 'string' || keyPrefix === '') {
      throw new OrchestratorOptionError(
        'keyPrefix',
        `RedisStore keyPrefix must be a non-empty string; got ${JSON.stringify(keyPrefix)}`,
      );
    }
    checkConnection(options.connection);
    this.planId = planId;
    this.leaseMs = leaseMs;
    this.keys = planKeys(planId, keyPrefix);
    const endpoint = describeConnection(options.connection);
    this.path = `${endpoint} ${this.keys.journal}`;
    this.link = new RedisLink({
      connection: options.connection,
      endpoint,
      path: this.path,
      planId,
      commandTimeoutMs: leaseMs,
      warn: options.warn ?? ((message) => process.stderr.write(`warning: ${message}\n`)),
    });
    this.lease = new RedisLease(this.link, this.keys, planId, leaseMs, this.path);
    this.journal = new RedisJournalWriter(
      this.link,
      this.lease,
      this.keys,
      planId,
      keyPrefix,
      leaseMs,
      this.path,
    );
  }

  /**
   * Tells `listener` each time a plan paused at `persistence` should write again: Redis is
   * reachable after an outage, or the renewal found the plan taken over (the write then fails
   * with a `LeaseLostError`, which stops the plan instead of leaving it paused).
   */
  onWritable(listener: () => void): () => void {
    return this.link.onWritable(listener);
  }

  acquire(): Promise<void> {
    return this.lease.acquire();
  }

  /** Waits for the writes under way, then gives the plan up (only if the lease is still ours). */
  async relinquish(): Promise<void> {
    await this.journal.settled();
    await this.lease.release();
  }

  /** Gives the plan up if held, stops renewing and disconnects. */
  async close(): Promise<void> {
    if (this.link.closed) return;
    await this.relinquish();
    await this.link.close();
  }

  /** Who owns the plan now, if anyone (read only). */
  owner(): Promise<LeaseOwner | null> {
    return this.lease.owner();
  }

  begin(header: JournalHeader): void {
    this.journal.begin(header);
  }

  append(records: readonly StampedRecord[]): void {
    this.journal.append(records);
  }

  flush(): Promise<void> {
    return this.journal.flush();
  }

  writeSnapshot(snapshot: PlanSnapshot): Promise<void> {
    return this.journal.writeSnapshot(snapshot);
  }

  /** Reads the plan back; needs no lease (a status check reads a plan another process runs). */
  load(): Promise<StoredPlan> {
    return this.journal.load();
  }
}
