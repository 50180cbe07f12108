/**
 * Runs the store, restore, cancel and heap cells, each in a fresh process, and writes
 * bench/results/durable.{md,json}. `npm run bench:durable [-- --quick]`; `npm run bench` runs it
 * after the executor cells. Quick mode keeps every plan at 10,000 jobs or fewer, except restore,
 * whose 100,000-job plan is stopped after 10,000 jobs so that it is made in seconds.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DurableResults, durableReport } from './durable-report.js';
import { repeatInFreshProcesses } from './fresh-process.js';

const quick = process.argv.includes('--quick');
/** The 100,000-job store cell takes about half a minute (a synced write per pass). */
const CELL_TIMEOUT_MS = 600_000;
/** Timings on a shared machine vary from run to run; the median of a few runs is reported. */
const REPEATS = 3;
const CANCEL_REPEATS = 5;
/** A restore of 100,000 jobs varies little; quick mode times it once to stay near 30 s in all. */
const RESTORE_REPEATS = quick ? 1 : REPEATS;
/** The restore tail: close to the most the default snapshot interval (10,000 records) leaves. */
const TAIL_RECORDS = 9_000;

const repeat = (times: number, script: string, args: (string | number)[]) =>
  repeatInFreshProcesses(times, script, args, CELL_TIMEOUT_MS);

const sizes = quick ? [10_000] : [10_000, 100_000];

const store = [];
for (const n of sizes) {
  for (const mode of ['none', 'file']) {
    store.push({
      n,
      mode,
      ...(await repeat(n > 10_000 ? 1 : REPEATS, 'store-cell.ts', [n, mode])),
    });
  }
}

const restore = [];
for (const stopAt of quick ? [10_000] : [10_000, 50_000]) {
  const n = 100_000;
  const dir = await mkdtemp(join(tmpdir(), 'bench-restore-'));
  const prepared = await repeat(1, 'restore-prepare.ts', [n, dir, stopAt, TAIL_RECORDS]);
  const resume = prepared.valid
    ? await repeat(RESTORE_REPEATS, 'restore-cell.ts', [n, dir, stopAt, 'resume'])
    : prepared;
  const phases = prepared.valid
    ? await repeat(1, 'restore-cell.ts', [n, dir, stopAt, 'phases'])
    : prepared;
  await rm(dir, { recursive: true, force: true });
  restore.push({ n, stopAt, prepared, resume, phases });
}

const cancel = [];
for (const mode of ['none', 'file']) {
  cancel.push({
    queued: 10_000,
    mode,
    ...(await repeat(CANCEL_REPEATS, 'cancel-cell.ts', [10_000, mode])),
  });
}

const heap = [];
for (const n of sizes) heap.push({ n, ...(await repeat(1, 'heap-cell.ts', [n])) });

const results: DurableResults = {
  node: process.version,
  cpu: `${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores)`,
  quick,
  store,
  restore,
  cancel,
  heap,
};
const out = join(import.meta.dirname, 'results');
await mkdir(out, { recursive: true });
const markdown = durableReport(results);
await writeFile(join(out, 'durable.md'), markdown);
await writeFile(join(out, 'durable.json'), `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(markdown);
