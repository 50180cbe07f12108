import type { PlanRecord } from '../../machines/plan/records.js';
import {
  LeaseLostError,
  PersistenceError,
  RestoreError,
  StateLockedError,
} from '../shared/errors.js';
import type { StampedRecord } from '../shared/records.js';
import { serialize } from './file-store.js';
import { readJournalList } from './redis-journal.js';
import { type PlanKeys, plansKey } from './redis-keys.js';
import type { RedisLease } from './redis-lease.js';
import { type RedisLink, wrongType } from './redis-link.js';
import { checkSnapshot, type PlanSnapshot, snapshotJson } from './snapshot.js';
import type { JournalHeader, StoredPlan } from './store.js';

/** What `plans` shows for a plan: its status and the checkpoint it is paused at. */
interface SummaryStatus {
  status: string;
  checkpoint: string;
}

/**
 * Writes a plan's journal LIST (the header at index 0, record n at index n) and snapshot, and
 * reads them back. Every write is one Lua script that checks the writer's fencing token, checks
 * the journal's length, appends the lines and updates the plan's summary, all at once. A write
 * whose reply was lost (a dropped connection) is recognised when tried again and not appended
 * twice.
 */
export class RedisJournalWriter {
  private buffer: string[] = [];
  /** The summary status the buffered records lead to, when one of them changes it. */
  private pendingStatus: SummaryStatus | null = null;
  private tail: Promise<void> = Promise.resolve();
  /** True until the header of a new journal is stored. */
  private starting = false;
  /** Elements of the journal (header included), as last written or read; null until known. */
  private length: number | null = null;

  constructor(
    private readonly link: RedisLink,
    private readonly lease: RedisLease,
    private readonly keys: PlanKeys,
    private readonly planId: string,
    private readonly prefix: string,
    private readonly leaseMs: number,
    /** The server and the journal's key, which errors name. */
    private readonly path: string,
  ) {}

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

  /** Resolves once the writes under way are done, whether or not they succeeded. */
  settled(): Promise<void> {
    return this.tail.catch(() => {});
  }

  private async write(): Promise<void> {
    // Checked first: a flush with nothing to write still tells a coordinator it lost the plan.
    if (this.lease.lost) throw this.lease.lost;
    if (this.buffer.length === 0) return;
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

  private async writeLines(lines: string[], status: SummaryStatus | null): Promise<void> {
    if (!this.lease.held) {
      if (this.lease.everOwned) throw new Error('this store gave the plan up; it writes no more');
      await this.lease.acquire();
    }
    this.link.failFastWhileDown();
    const held = this.lease.held!;
    const { redis, endpoint } = this.link;
    this.length ??= await redis.llen(this.keys.journal);
    const expected = this.length;
    const reply = await this.link.run(
      () =>
        redis.planAppend(
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
        throw this.lease.markLost(String(detail));
      case 'wrongtype':
        throw wrongType(String(detail), String(kind), endpoint);
      case 'journal':
        throw new StateLockedError(
          this.path,
          null,
          `Plan "${this.planId}" is already kept in Redis at ${endpoint} (${this.keys.journal} holds ${detail} entries); resume it with resumeOrchestrator, or use another plan id`,
          'STATE_HAS_JOURNAL',
        );
      default:
        throw new Error(
          `the journal ${this.keys.journal} holds ${detail} entries where ${expected} were expected: something else changed it; nothing was written (resume the plan to go on from what it holds)`,
        );
    }
  }

  async writeSnapshot(snapshot: PlanSnapshot): Promise<void> {
    if (this.lease.lost) throw this.lease.lost;
    try {
      const held = this.lease.held;
      if (!held) throw new Error('this store does not own the plan; it writes no snapshot');
      this.link.failFastWhileDown();
      const [ours, lease] = await this.link.redis.planSnapshot(
        this.keys.snapshot,
        this.keys.lease,
        this.keys.fence,
        held.fence,
        snapshotJson(snapshot),
      );
      if (!ours) throw this.lease.markLost(lease ?? '');
    } catch (error) {
      if (error instanceof LeaseLostError) throw error;
      this.link.reconnectIfUnanswered(error);
      throw new PersistenceError(`${this.link.endpoint} ${this.keys.snapshot}`, error);
    }
  }

  /** Reads the plan back; needs no lease (a status check reads a plan another process runs). */
  async load(): Promise<StoredPlan> {
    await this.link.ready();
    const { redis, endpoint } = this.link;
    const { journal } = this.keys;
    const [kind, snapshotText] = await this.link.run(
      async () => [await redis.type(journal), await redis.get(this.keys.snapshot)],
      [[this.keys.snapshot, 'string']],
    );
    if (kind === 'none') {
      throw new RestoreError(
        this.path,
        null,
        `no plan "${this.planId}" is kept in Redis at ${endpoint} (${journal} does not exist); check the plan id, the database and the key prefix`,
      );
    }
    if (kind !== 'list') throw wrongType(journal, kind, endpoint);
    const snapshot = snapshotText === null ? null : this.parseSnapshot(snapshotText);
    const { header, records, length } = await readJournalList(redis, journal, snapshot, this.path);
    this.length = length;
    this.starting = false;
    return { header, snapshot, records, warnings: [] };
  }

  private parseSnapshot(text: string): PlanSnapshot {
    const where = `${this.link.endpoint} ${this.keys.snapshot}`;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new RestoreError(where, null, 'the snapshot is not valid JSON');
    }
    return checkSnapshot(value, where);
  }
}

/** What `plans` shows for a plan after a record (null: the record does not change it). */
function statusAfter(record: PlanRecord): SummaryStatus | null {
  switch (record.type) {
    case 'plan-started':
    case 'plan-restored':
    case 'plan-resumed':
      return { status: 'running', checkpoint: '' };
    case 'plan-paused':
      return { status: 'paused', checkpoint: record.checkpoint.name };
    // A copilot plan leaves `start` without a `plan-resumed`: it was never running before.
    case 'approved':
      return record.checkpoint === 'start' ? { status: 'running', checkpoint: '' } : null;
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
