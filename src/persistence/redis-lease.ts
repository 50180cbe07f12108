import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { LeaseLostError, StateLockedError, type StateOwner } from '../shared/errors.js';
import type { PlanKeys } from './redis-keys.js';
import type { RedisLink } from './redis-link.js';

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

/** A coordinator's lease, in milliseconds, unless `leaseMs` says otherwise. */
export const DEFAULT_LEASE_MS = 5000;
/** The shortest `leaseMs`: a lease is renewed every third of it, and a renewal must fit in that. */
export const MIN_LEASE_MS = 1000;
/** The longest `leaseMs` (ten minutes): a dead coordinator's plan waits this long at most to be taken over. */
export const MAX_LEASE_MS = 600_000;

/** A lease this coordinator holds: what every fenced write passes to its script. */
export interface Held {
  /** The lease value as stored (JSON of the owner without expiry). */
  text: string;
  fence: string;
}

/**
 * One coordinator owns a plan through a lease (`leaseMs`, renewed every third of it) and a
 * fencing token: a coordinator that lost its lease (paused, cut off) and whose plan was taken over
 * cannot write a single record; its writes reject with a `LeaseLostError`.
 */
export class RedisLease {
  private current: Held | null = null;
  /** Ownership is taken once: a store that gave it up (or lost it) never takes it back by writing. */
  private everOwnedIt = false;
  private lostWith: LeaseLostError | null = null;
  private renewal: NodeJS.Timeout | null = null;
  /** The acquisition under way: a first write and an explicit `acquire` share it. */
  private acquiring: Promise<void> | null = null;

  constructor(
    private readonly link: RedisLink,
    private readonly keys: PlanKeys,
    private readonly planId: string,
    private readonly leaseMs: number,
    /** The store's `path`, which the errors name. */
    private readonly path: string,
  ) {}

  /** The lease while this coordinator holds it. */
  get held(): Held | null {
    return this.current;
  }

  get everOwned(): boolean {
    return this.everOwnedIt;
  }

  /** Why this coordinator may write no more, once its plan was taken over. */
  get lost(): LeaseLostError | null {
    return this.lostWith;
  }

  acquire(): Promise<void> {
    if (this.current) return Promise.resolve();
    this.acquiring ??= this.take().finally(() => {
      this.acquiring = null;
    });
    return this.acquiring;
  }

  private async take(): Promise<void> {
    await this.link.ready();
    const head = JSON.stringify({
      ownerId: randomUUID(),
      pid: process.pid,
      host: hostname(),
      since: new Date().toISOString(),
    }).slice(0, -1);
    const [won, text, ttl] = await this.link.run(
      () => this.link.redis.planAcquire(this.keys.lease, this.keys.fence, head, this.leaseMs),
      [
        [this.keys.lease, 'string'],
        [this.keys.fence, 'string'],
      ],
    );
    const owner = parseLease(text, ttl);
    if (!won || !owner) throw this.lockedBy(owner, text);
    this.current = { text, fence: String(owner.fence) };
    this.everOwnedIt = true;
    this.lostWith = null;
    this.renewal = setInterval(() => this.renew(), Math.floor(this.leaseMs / 3));
    this.renewal.unref();
  }

  private lockedBy(owner: LeaseOwner | null, text: string): StateLockedError {
    const { endpoint } = this.link;
    if (!owner) {
      return new StateLockedError(
        this.path,
        null,
        `Plan "${this.planId}" in Redis at ${endpoint} is in use: its lease ${this.keys.lease} holds ${JSON.stringify(text.slice(0, 80))}, which names no coordinator; if none runs, delete that key`,
      );
    }
    const inSeconds = Math.max(0, (Date.parse(owner.expiresAt) - Date.now()) / 1000).toFixed(1);
    return new StateLockedError(
      this.path,
      toStateOwner(owner),
      `Plan "${this.planId}" in Redis at ${endpoint} is in use by process ${owner.pid} on host ${owner.host} (owner since ${owner.since}); its lease expires at ${owner.expiresAt} (in ${inSeconds} s) unless that coordinator renews it: wait for it to end, or resume once the lease has expired if it is gone`,
    );
  }

  private async renew(): Promise<void> {
    const held = this.current;
    if (!held || !this.link.isReady) return;
    try {
      const [ours, now] = await this.link.redis.planRenew(
        this.keys.lease,
        this.keys.fence,
        held.fence,
        held.text,
        this.leaseMs,
      );
      if (!ours && this.current === held) {
        this.markLost(now ?? '');
        this.link.tryAgain();
      }
    } catch {
      // Redis is unreachable: the next renewal (or write) tries again.
    }
  }

  /** Records that the plan was taken over (`leaseText`: the lease now) and returns why. */
  markLost(leaseText: string): LeaseLostError {
    this.stopRenewing();
    this.current = null;
    const owner = leaseText ? parseLease(leaseText, null) : null;
    const who = owner
      ? `process ${owner.pid} on host ${owner.host} took it over (fencing token ${owner.fence}, owner since ${owner.since})`
      : 'another coordinator took it over';
    this.lostWith = new LeaseLostError(
      this.path,
      owner ? toStateOwner(owner) : null,
      `Plan "${this.planId}" in Redis at ${this.link.endpoint} is no longer this coordinator's: its lease ran out (the process was paused or cut off for more than ${this.leaseMs} ms) and ${who}; this process writes nothing more to it`,
    );
    return this.lostWith;
  }

  private stopRenewing(): void {
    if (this.renewal) clearInterval(this.renewal);
    this.renewal = null;
  }

  /** Gives the plan up, only if the lease is still ours. */
  async release(): Promise<void> {
    const held = this.current;
    this.stopRenewing();
    if (!held) return;
    this.current = null;
    if (!this.link.isReady) return; // the lease runs out by itself
    await this.link.redis.planRelease(this.keys.lease, this.keys.fence, held.fence).catch(() => {});
  }

  /** Who owns the plan now, if anyone (read only). */
  async owner(): Promise<LeaseOwner | null> {
    await this.link.ready();
    const { redis } = this.link;
    const [text, ttl] = await this.link.run(
      async () =>
        (await redis.multi().get(this.keys.lease).pttl(this.keys.lease).exec())!.map(
          ([error, value]) => {
            if (error) throw error;
            return value;
          },
        ) as [string | null, number],
      [[this.keys.lease, 'string']],
    );
    return text === null ? null : parseLease(text, ttl);
  }
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
