/**
 * Redis store cell, in a fresh process, against a redis-server given by URL:
 * - `redis-cell <url> run <n>`: a wide plan of n no-op jobs with a RedisStore; prints µs per job,
 *   journal records per second and flushes, after checking that every job succeeded once and that
 *   the journal reads back whole, ending with `plan-completed`;
 * - `redis-cell <url> prepare <n> <stopAt> <tail>`: like restore-prepare.ts, a plan of n jobs
 *   where j0…j<stopAt-1> finish and the rest hang, one snapshot about `tail` records before the
 *   end; exits as a crash would once everything is durable;
 * - `redis-cell <url> resume <n> <stopAt>`: times `resumeOrchestrator` on that plan (load from
 *   Redis, fold, rebuild) and checks what it gives back. Prints one JSON line.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { createOrchestrator, planKeys, RedisStore, resumeOrchestrator } from '../src/index.js';
import { MAX_PARALLEL, noop, widePlan } from './wide-plan.js';

const [url, mode, nText, stopText, tailText] = process.argv.slice(2) as [
  string,
  string,
  string,
  string?,
  string?,
];
const n = Number(nText);
const problems: string[] = [];
const result: Record<string, unknown> = { n, mode, store: 'redis' };

/** Counts how often the plan asks for durability, and remembers the last snapshot write. */
class WatchedStore extends RedisStore {
  flushes = 0;
  snapshotWrite: Promise<void> = Promise.resolve();
  override flush(): Promise<void> {
    this.flushes++;
    return super.flush();
  }
  override writeSnapshot(...args: Parameters<RedisStore['writeSnapshot']>): Promise<void> {
    this.snapshotWrite = super.writeSnapshot(...args);
    return this.snapshotWrite;
  }
}

const planId = `bench-redis-${n}`;
const admin = new Redis(url);
const keys = planKeys(planId);

if (mode === 'run') {
  await admin.del(...Object.values(keys));
  const store = new WatchedStore({ connection: url, planId });
  const runs = new Int32Array(n);
  const plan = widePlan(planId, n, (i) => async () => {
    runs[i]!++;
  });
  const t0 = performance.now();
  const orchestrator = createOrchestrator(plan, { store });
  orchestrator.start();
  const view = await orchestrator.whenSettled();
  const elapsedMs = performance.now() - t0;
  if (view.status !== 'completed') problems.push(`plan ${view.status}`);
  const twice = runs.findIndex((count) => count !== 1);
  if (twice >= 0) problems.push(`j${twice} ran ${runs[twice]} times`);
  const records = (await admin.llen(keys.journal)) - 1;
  const reader = new RedisStore({ connection: url, planId });
  const loaded = await reader.load();
  const succeeded = loaded.records.filter((record) => record.type === 'job-succeeded').length;
  if (loaded.snapshot === null && succeeded !== n) problems.push(`${succeeded} job-succeeded`);
  if (loaded.records.at(-1)?.type !== 'plan-completed') problems.push('no plan-completed');
  Object.assign(result, {
    elapsedMs,
    usPerJob: (elapsedMs * 1000) / n,
    records,
    recordsPerSecond: records / (elapsedMs / 1000),
    flushes: store.flushes,
    journalBytes: Number((await admin.call('MEMORY', 'USAGE', keys.journal, 'SAMPLES', '0')) ?? 0),
  });
  await reader.close();
  await store.close();
  await admin.del(...Object.values(keys));
} else if (mode === 'prepare') {
  await admin.del(...Object.values(keys));
  const stopAt = Number(stopText);
  const snapshotEvery = n + 3 * stopAt - Number(tailText);
  let hung = 0;
  const store = new WatchedStore({ connection: url, planId });
  const plan = widePlan(planId, n, (i) =>
    i < stopAt
      ? async () => undefined
      : () => {
          hung++;
          return new Promise<never>(() => {});
        },
  );
  createOrchestrator(plan, { store, snapshotEvery }).start();
  while (hung < MAX_PARALLEL) await sleep(10);
  await sleep(50);
  await store.flush();
  await store.snapshotWrite;
  // The coordinator "dies": its lease goes at once, as if it had expired.
  await admin.del(keys.lease);
  Object.assign(result, {
    stopAt,
    records: (await admin.llen(keys.journal)) - 1,
    snapshotSeq: (JSON.parse((await admin.get(keys.snapshot)) ?? '{"seq":0}') as { seq: number })
      .seq,
  });
  if (result.snapshotSeq === 0) problems.push('no snapshot');
} else {
  const stopAt = Number(stopText);
  const store = new RedisStore({ connection: url, planId });
  const t0 = performance.now();
  const orchestrator = await resumeOrchestrator(widePlan(planId, n, noop), store);
  result.resumeMs = performance.now() - t0;
  const { counts } = orchestrator.getView();
  if (counts.succeeded !== stopAt) problems.push(`${counts.succeeded} succeeded, not ${stopAt}`);
  if (counts.queued + counts.running !== n - stopAt || counts.running > 8)
    problems.push(`${counts.running} running and ${counts.queued} queued of ${n - stopAt}`);
  // Not started: the plan stays as prepared for the next run.
  await store.close();
}

admin.disconnect();
process.stdout.write(
  `${JSON.stringify({ ...result, valid: problems.length === 0, problems: problems.slice(0, 3) })}\n`,
);
process.exit(0);
