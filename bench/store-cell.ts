/**
 * Durable store cell, in a fresh process: `store-cell <n> <file|none>` runs a wide plan of n
 * no-op jobs, with a FileStore in a temporary folder or without a store, and prints one JSON
 * line: µs per job (wall and CPU) and, with the store, journal records per second and the
 * journal's size.
 * Checks that every job succeeded once and that the journal reads back whole, ending with
 * `plan-completed`.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createOrchestrator, FileStore, readJournal } from '../src/index.js';
import { widePlan } from './wide-plan.js';

const n = Number(process.argv[2]);
const withStore = process.argv[3] === 'file';
const problems: string[] = [];

/** Counts how often the plan asks for durability: records per flush is the group-commit batch. */
class CountingStore extends FileStore {
  flushes = 0;
  override flush(): Promise<void> {
    this.flushes++;
    return super.flush();
  }
}

const dir = await mkdtemp(join(tmpdir(), 'bench-store-'));
const store = withStore ? new CountingStore(dir) : undefined;
const runs = new Int32Array(n);
const plan = widePlan('bench-store', n, (i) => async () => {
  runs[i]!++;
});
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const orchestrator = createOrchestrator(plan, store ? { store } : {});
orchestrator.start();
const view = await orchestrator.whenSettled();
const elapsedMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);

if (view.status !== 'completed') problems.push(`plan ${view.status}`);
if (view.counts.succeeded !== n) problems.push(`${view.counts.succeeded} of ${n} succeeded`);
const twice = runs.findIndex((count) => count !== 1);
if (twice >= 0) problems.push(`j${twice} ran ${runs[twice]} times`);

// Counted from the journal afterwards: a subscriber to events$ would add its own cost per record.
let records = 0;
let journalBytes = 0;
let snapshotBytes = 0;
if (store) {
  journalBytes = (await stat(store.path)).size;
  if ((await readdir(dir)).includes('snapshot.json'))
    snapshotBytes = (await stat(store.snapshotPath)).size;
  const journal = await readJournal(store.path);
  records = journal.records.length;
  const succeeded = journal.records.filter((record) => record.type === 'job-succeeded').length;
  if (succeeded !== n) problems.push(`journal holds ${succeeded} job-succeeded records, not ${n}`);
  if (journal.records.at(-1)?.type !== 'plan-completed')
    problems.push(`journal ends with ${journal.records.at(-1)?.type}`);
}
await rm(dir, { recursive: true, force: true });

process.stdout.write(
  `${JSON.stringify({
    n,
    store: withStore ? 'file' : 'none',
    valid: problems.length === 0,
    problems: problems.slice(0, 3),
    elapsedMs,
    usPerJob: (elapsedMs * 1000) / n,
    // The process's CPU (all its threads, the disk's thread pool included) per job: less noisy
    // than wall time on a shared machine, and what the store adds beside its waits for the disk.
    cpuUsPerJob: (cpu.user + cpu.system) / n,
    userUsPerJob: cpu.user / n,
    systemUsPerJob: cpu.system / n,
    records: withStore ? records : null,
    recordsPerSecond: withStore ? records / (elapsedMs / 1000) : null,
    flushes: store?.flushes ?? null,
    journalBytes: withStore ? journalBytes : null,
    snapshotBytes: withStore ? snapshotBytes : null,
  })}\n`,
);
