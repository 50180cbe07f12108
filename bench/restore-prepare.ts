/**
 * Makes a stored plan to restore, in its own process: `restore-prepare <n> <dir> <stopAt> <tail>`
 * runs a wide plan of n jobs with a FileStore in `dir` where jobs j0…j<stopAt-1> finish and every
 * later job hangs. One snapshot is written, about `tail` records before the end (a fixed tail, so
 * that runs compare). Once 8 hang, everything is durable and the process exits as a crash would: the folder holds a snapshot, a tail of records after it, 8
 * attempts under way and the rest queued. Prints the sizes as one JSON line.
 */
import { readFile, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { createOrchestrator, FileStore } from '../src/index.js';
import { MAX_PARALLEL, widePlan } from './wide-plan.js';

const [nText, dir, stopText, tailText] = process.argv.slice(2) as [string, string, string, string];
const n = Number(nText);
const stopAt = Number(stopText);
/** A wide plan records every job queued, then 3 records per finished job (and a few more). */
const snapshotEvery = n + 3 * stopAt - Number(tailText);

/** Remembers the last snapshot write, to wait for it before the simulated crash. */
class WatchedStore extends FileStore {
  snapshotWrite: Promise<void> = Promise.resolve();
  override writeSnapshot(...args: Parameters<FileStore['writeSnapshot']>): Promise<void> {
    this.snapshotWrite = super.writeSnapshot(...args);
    return this.snapshotWrite;
  }
}

let hung = 0;
const store = new WatchedStore(dir);
const plan = widePlan('bench-restore', n, (i) =>
  i < stopAt
    ? async () => undefined
    : () => {
        hung++;
        return new Promise<never>(() => {});
      },
);
createOrchestrator(plan, { store, snapshotEvery }).start();
while (hung < MAX_PARALLEL) await sleep(10);
// A snapshot falls due within a commit; let a pending one start, then wait for both writes.
await sleep(50);
await store.flush();
await store.snapshotWrite;

const snapshot = JSON.parse(await readFile(store.snapshotPath, 'utf8')) as { seq: number };
const lines = (await readFile(store.path, 'utf8')).split('\n').filter((line) => line !== '');
const tail = lines
  .slice(1)
  .filter((line) => (JSON.parse(line) as { seq: number }).seq > snapshot.seq);
const problems: string[] = [];
if (tail.length === 0) problems.push('no records after the snapshot');
if (snapshot.seq === 0) problems.push('no snapshot');
process.stdout.write(
  `${JSON.stringify({
    valid: problems.length === 0,
    problems,
    n,
    stopAt,
    records: lines.length - 1,
    snapshotSeq: snapshot.seq,
    snapshotBytes: (await stat(store.snapshotPath)).size,
    journalBytes: (await stat(store.path)).size,
    tailRecords: tail.length,
    tailBytes: tail.reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0),
  })}\n`,
);
process.exit(0);
