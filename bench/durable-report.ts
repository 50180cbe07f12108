/** Turns the store, restore, cancel and heap results into bench/results/durable.md. */
import type { Repeated } from './fresh-process.js';

export interface DurableResults {
  node: string;
  cpu: string;
  quick: boolean;
  store: Array<{ n: number; mode: string } & Repeated>;
  restore: Array<{
    n: number;
    stopAt: number;
    prepared: Repeated;
    resume: Repeated;
    phases: Repeated;
  }>;
  cancel: Array<{ queued: number; mode: string } & Repeated>;
  heap: Array<{ n: number } & Repeated>;
}

/** The cancel target: the plan is settled within this long after `cancel()`. */
export const CANCEL_TARGET_MS = 100;

const values = (r: Repeated, key: string) =>
  r.runs
    .map((run) => run[key])
    .filter((v): v is number => typeof v === 'number')
    .sort((a, b) => a - b);
/** Median of the runs (each run is a fresh process); NaN when the cell is invalid. */
export const median = (r: Repeated | undefined, key: string) => {
  const sorted = r?.valid ? values(r, key) : [];
  return sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)]! : Number.NaN;
};
/** A measure that does not change from run to run (counts, sizes): the first run's. */
const first = (r: Repeated | undefined, key: string) =>
  r?.valid ? (r.runs[0]?.[key] as number) : Number.NaN;
const num = (x: number, digits = 0) =>
  Number.isNaN(x) ? 'invalid' : x.toLocaleString('en-US', { maximumFractionDigits: digits });
const mb = (bytes: number) => (Number.isNaN(bytes) ? 'invalid' : `${(bytes / 1e6).toFixed(1)} MB`);
const spread = (r: Repeated, key: string) => {
  if (!r.valid) return 'invalid';
  const sorted = values(r, key);
  const m = median(r, key);
  return sorted.length > 1 ? `${num(m)} (${num(sorted[0]!)}–${num(sorted.at(-1)!)})` : num(m);
};

export function durableReport(results: DurableResults): string {
  const lines = [
    `Node ${results.node}, ${results.cpu}${results.quick ? ', quick mode' : ''}. Each cell runs in a fresh process; timings are the median of the runs (min–max).`,
    '',
    '### Durable store: wide plan of no-op jobs, maxParallel 8, FileStore (group commit: one synced write per flush)',
    '',
    '| jobs | µs/job, no store | µs/job, FileStore | store cost per job | records | records/s written | records per flush | journal | snapshot |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const n of new Set(results.store.map((cell) => cell.n))) {
    const none = results.store.find((cell) => cell.n === n && cell.mode === 'none');
    const file = results.store.find((cell) => cell.n === n && cell.mode === 'file');
    const records = first(file, 'records');
    lines.push(
      `| ${num(n)} | ${num(median(none, 'usPerJob'))} | ${num(median(file, 'usPerJob'))} | ${num(median(file, 'usPerJob') - median(none, 'usPerJob'))} µs | ${num(records)} | ${num(median(file, 'recordsPerSecond'))} | ${num(records / first(file, 'flushes'), 1)} | ${mb(first(file, 'journalBytes'))} | ${mb(first(file, 'snapshotBytes'))} |`,
    );
  }

  lines.push(
    '',
    '### Restore: `resumeOrchestrator` on a stopped plan (snapshot + tail), in a fresh process',
    '',
    '| jobs | finished before the stop | snapshot | tail after it | journal (read whole) | resumeOrchestrator ms | load ms (alone) | fold + rebuild ms (alone) |',
    '|---|---|---|---|---|---|---|---|',
  );
  for (const cell of results.restore) {
    const p = cell.prepared;
    lines.push(
      `| ${num(cell.n)} | ${num(cell.stopAt)} | ${mb(first(p, 'snapshotBytes'))} (records 1–${num(first(p, 'snapshotSeq'))}) | ${num(first(p, 'tailRecords'))} records, ${mb(first(p, 'tailBytes'))} | ${mb(first(p, 'journalBytes'))}, ${num(first(p, 'records'))} records | ${spread(cell.resume, 'resumeMs')} | ${num(median(cell.phases, 'loadMs'))} | ${num(median(cell.phases, 'foldMs'))} |`,
    );
  }

  lines.push(
    '',
    `### Cancel: \`cancel()\` until \`whenSettled()\` resolves (target < ${CANCEL_TARGET_MS} ms)`,
    '',
    '| queued + running | store | ms | last signal aborted at ms | target met | live job actors before / at settle |',
    '|---|---|---|---|---|---|',
  );
  for (const cell of results.cancel) {
    const met = cell.valid ? (median(cell, 'cancelMs') < CANCEL_TARGET_MS ? 'yes' : 'no') : '—';
    lines.push(
      `| ${num(cell.queued)} + 8 | ${cell.mode} | ${spread(cell, 'cancelMs')} | ${num(median(cell, 'lastAbortMs'))} | ${met} | ${num(first(cell, 'childrenBefore'))} / ${num(first(cell, 'childrenAtSettle'))} |`,
    );
  }

  lines.push(
    '',
    '### Heap retained by a settled orchestrator (wide plan of no-op jobs, after GC)',
    '',
    '| jobs | retained | bytes per finished job |',
    '|---|---|---|',
  );
  for (const cell of results.heap) {
    lines.push(
      `| ${num(cell.n)} | ${mb(first(cell, 'retainedMB') * 1e6)} | ${num(first(cell, 'bytesPerJob'))} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
