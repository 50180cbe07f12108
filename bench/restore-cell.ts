/**
 * Restore cell, in a fresh process, on a folder made by restore-prepare.ts:
 * `restore-cell <n> <dir> <stopAt> resume` times `resumeOrchestrator` (read the snapshot and
 * journal, fold the tail, rebuild the plan) and checks the plan it gives back: the finished jobs
 * succeeded, the 8 interrupted ones and the rest queued again. `… phases` times the two steps
 * inside it separately, each cold: `FileStore.load` (read and parse) and `restorePlan` (fold).
 * Prints one JSON line.
 */
import { performance } from 'node:perf_hooks';
import { FileStore, resumeOrchestrator } from '../src/index.js';
import { JournalFold } from '../src/persistence/journal-fold.js';
import { restorePlan } from '../src/persistence/restore.js';
import { noop, widePlan } from './wide-plan.js';

const [nText, dir, stopText, mode] = process.argv.slice(2) as [string, string, string, string];
const n = Number(nText);
const stopAt = Number(stopText);
const problems: string[] = [];
const result: Record<string, unknown> = { n, mode };

if (mode === 'resume') {
  const t0 = performance.now();
  const orchestrator = await resumeOrchestrator(
    widePlan('bench-restore', n, noop),
    new FileStore(dir),
  );
  result.resumeMs = performance.now() - t0;
  const { counts } = orchestrator.getView();
  if (counts.succeeded !== stopAt) problems.push(`${counts.succeeded} succeeded, not ${stopAt}`);
  // The plan's first pass is already decided (8 jobs set to run again, launched on start()).
  if (counts.queued + counts.running !== n - stopAt || counts.running > 8)
    problems.push(`${counts.running} running and ${counts.queued} queued of ${n - stopAt}`);
} else {
  const t0 = performance.now();
  const stored = await new FileStore(dir).load();
  const t1 = performance.now();
  const restored = restorePlan(JournalFold.of(stored), Date.now());
  const t2 = performance.now();
  Object.assign(result, { loadMs: t1 - t0, foldMs: t2 - t1, tailRecords: stored.records.length });
  if (!stored.snapshot) problems.push('no snapshot was read');
  // The 8 attempts under way when the process stopped are recorded as interrupted.
  const interrupted = restored.records.filter((r) => r.type === 'attempt-interrupted').length;
  if (interrupted !== 8) problems.push(`${interrupted} attempts interrupted, not 8`);
}

process.stdout.write(
  `${JSON.stringify({ ...result, valid: problems.length === 0, problems: problems.slice(0, 3) })}\n`,
);
