import type { Redis } from 'ioredis';
import { planKeys, plansKey } from '../persistence/redis-keys.js';
import { type LeaseOwner, RedisStore } from '../persistence/redis-store.js';
import { RestoreError } from '../shared/errors.js';
import { EXIT, out } from './output.js';
import { connectRedis } from './redis-connect.js';
import { notAJournal, PlanNotFoundError } from './redis-source.js';
import type { RedisTarget } from './redis-url.js';
import { describeStatus, type StatusOptions, statusJson } from './status-report.js';

/** `status --redis` and `plans --redis`: read what Redis keeps, change nothing, need no lease. */

export async function redisStatus(
  target: RedisTarget,
  planId: string,
  options: StatusOptions = {},
): Promise<number> {
  const client = await connectRedis(target);
  try {
    const journal = planKeys(planId).journal;
    const type = await client.type(journal);
    if (type === 'none') throw new PlanNotFoundError(planId, target.shown);
    if (type !== 'list') throw notAJournal(journal, type, target.shown);
  } finally {
    client.disconnect();
  }
  const store = new RedisStore({ connection: target.url, planId });
  try {
    const stored = await store.load();
    const holder = await store.owner();
    if (options.json) {
      out(`${JSON.stringify({ ...statusJson(stored), coordinator: holder })}\n`);
    } else {
      const resumeCommand = `plan-orchestrator resume --redis ${target.shown} --plan ${planId}`;
      out(describeStatus(stored, { ...options, resumeCommand }));
      out(`Coordinator: ${holder ? describeHolder(holder) : 'none'}\n`);
    }
    for (const warning of stored.warnings) process.stderr.write(`warning: ${warning}\n`);
    return EXIT.completed;
  } finally {
    await store.close();
  }
}

/** "process 123 on host-a (since …, lease until …)": a coordinator in a message. */
function describeHolder(holder: LeaseOwner): string {
  return `process ${holder.pid} on ${holder.host} (since ${holder.since}, lease until ${holder.expiresAt})`;
}

/** One plan as `plans` lists it. */
export interface PlanRow {
  id: string;
  status: string;
  owner: string;
  leaseUntil: string;
  records: string;
  updated: string;
}

export async function listPlans(target: RedisTarget): Promise<number> {
  const client = await connectRedis(target);
  let rows: PlanRow[];
  try {
    rows = await readPlanRows(client, target.shown);
  } finally {
    client.disconnect();
  }
  if (rows.length === 0) {
    out(`No plans are kept in Redis at ${target.shown}\n`);
    return EXIT.completed;
  }
  out(formatRows(rows));
  return EXIT.completed;
}

export async function readPlanRows(client: Redis, shown: string): Promise<PlanRow[]> {
  const setKey = plansKey();
  const ids = await client.smembers(setKey).catch((error: Error) => {
    throw new RestoreError(`${shown} key ${setKey}`, null, error.message);
  });
  ids.sort();
  const now = Date.now();
  return Promise.all(
    ids.map(async (id) => {
      const keys = planKeys(id);
      const [summary, lease, ttl] = await Promise.all([
        client.hgetall(keys.summary).catch(() => ({}) as Record<string, string>),
        client.get(keys.lease).catch(() => null),
        client.pttl(keys.lease),
      ]);
      const holder = leaseHolderOf(lease);
      const owner = holder ?? (lease !== null ? (summary.owner ?? 'unknown') : 'none');
      return {
        id,
        status: summary.status ?? 'unknown',
        owner,
        leaseUntil: lease !== null && ttl > 0 ? new Date(now + ttl).toISOString() : '-',
        records: summary.records ?? '-',
        updated: summary.updatedAt ? timeText(summary.updatedAt) : '-',
      };
    }),
  );
}

/** `pid@host` from a lease's JSON value; null when it does not hold one. */
function leaseHolderOf(value: string | null): string | null {
  if (value === null) return null;
  try {
    const lease = JSON.parse(value) as { pid?: unknown; host?: unknown } | null;
    if (typeof lease?.pid === 'number' && typeof lease.host === 'string') {
      return `${lease.pid}@${lease.host}`;
    }
  } catch {
    // Not JSON: the summary's owner is used instead.
  }
  return null;
}

/** A stored time (ISO text or milliseconds since the epoch) as ISO text. */
function timeText(value: string): string {
  return /^\d+$/.test(value) ? new Date(Number(value)).toISOString() : value;
}

const HEADINGS: PlanRow = {
  id: 'PLAN',
  status: 'STATUS',
  owner: 'OWNER',
  leaseUntil: 'LEASE UNTIL',
  records: 'RECORDS',
  updated: 'UPDATED',
};

function formatRows(rows: PlanRow[]): string {
  const all = [HEADINGS, ...rows];
  const columns = Object.keys(HEADINGS) as (keyof PlanRow)[];
  const widths = columns.map((column) => Math.max(...all.map((row) => row[column].length)));
  return all
    .map(
      (row) =>
        `${columns
          .map((column, i) => row[column].padEnd(widths[i]!))
          .join('  ')
          .trimEnd()}\n`,
    )
    .join('');
}
