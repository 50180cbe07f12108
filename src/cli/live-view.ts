import { TERMINAL_STATUSES } from '../../machines/plan/context.js';
import type { JobView, PlanView } from '../runtime/view.js';
import { count } from './plural.js';
import { describeCheckpoint } from './stranded.js';

/** The part of a terminal the live view may use. */
export interface TerminalSize {
  rows: number;
  columns: number;
}

/** What a pipe or an unknown terminal is taken to be. */
export const DEFAULT_SIZE: TerminalSize = { rows: 24, columns: 80 };
/** The live view never draws fewer lines than this, however small the terminal says it is. */
const MIN_LINES = 4;
const MIN_COLUMNS = 20;
const MAX_BAR = 30;

const ACTIVE = new Set(['running', 'retrying', 'verifying', 'integrating']);

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/** How many jobs reached a terminal status. */
function doneCount(view: PlanView): number {
  let done = 0;
  for (const [status, n] of Object.entries(view.counts)) {
    if (TERMINAL_STATUSES.has(status as JobView['status'])) done += n;
  }
  return done;
}

/** "12 running, 4000 succeeded": how many jobs are in each status that has any. */
export function nonZeroCounts(view: PlanView): string {
  return Object.entries(view.counts)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${status}`)
    .join(', ');
}

/** "5000 jobs: 12 running, 4000 succeeded". */
export function countsLine(view: PlanView): string {
  return `${count(view.jobs.length, 'job')}: ${nonZeroCounts(view) || 'none'}`;
}

/** Cut to the width of the terminal, so that no line wraps and the erase count stays right. */
function toWidth(line: string, columns: number): string {
  const width = Math.max(MIN_COLUMNS, columns) - 1;
  return line.length <= width ? line : `${line.slice(0, width - 1)}…`;
}

/** `[#####.....] 12/5000`: as wide as the terminal allows, up to 30 cells. */
function progressBar(view: PlanView, columns: number): string {
  const done = doneCount(view);
  const total = view.jobs.length;
  const width = Math.max(5, Math.min(MAX_BAR, columns - 40));
  const filled = Math.round((done / Math.max(1, total)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
}

function activeLine(job: JobView, now: number): string {
  const took = job.startedAt === undefined ? '' : seconds(now - job.startedAt);
  if (job.waiting !== undefined) {
    return `  ${job.id.padEnd(24)} ${'queued'.padEnd(12)} #${job.attempt} ${job.waiting}`;
  }
  const where = job.worker === undefined ? '' : ` on ${job.worker}`;
  return `  ${job.id.padEnd(24)} ${job.status.padEnd(12)} #${job.attempt} ${took}${where}`.trimEnd();
}

/** Up to `room` lines of `items`; when they do not fit, the last line says how many more. */
function folded(items: readonly string[], room: number, what: string, whatMany = what): string[] {
  if (items.length <= room) return [...items];
  const shown = Math.max(0, room - 1);
  return [
    ...items.slice(0, shown),
    `  … ${count(items.length - shown, `more ${what}`, `more ${whatMany}`)}`,
  ];
}

/**
 * One frame of the live view: a line with the progress bar and the plan's status, a line of
 * counts, the checkpoint the plan holds at, the jobs running now and the latest failures, the
 * rest folded into "… N more". It never has more lines than the terminal has rows (less one, for
 * the cursor) nor longer lines than it has columns, however many jobs the plan has.
 */
export function renderFrame(
  view: PlanView,
  size: TerminalSize,
  now: number,
  recentFailures: readonly string[],
): string[] {
  const budget = Math.max(MIN_LINES, size.rows - 1);
  const lines = [
    `${view.planId}  ${progressBar(view, size.columns)}  ${view.status}`,
    `  ${countsLine(view)}`,
  ];
  if (view.checkpoint) lines.push(`  paused at ${describeCheckpoint(view.checkpoint)}`);
  const room = budget - lines.length;
  // Failures get up to a third of what is left (newest first); the running jobs the rest.
  const failureRoom =
    recentFailures.length > 0 && room >= 4
      ? Math.min(recentFailures.length + 1, Math.max(2, Math.floor(room / 3)))
      : 0;
  const runningRoom = room - failureRoom;
  if (runningRoom >= 2) {
    const active: string[] = [];
    for (const job of view.jobs) if (ACTIVE.has(job.status)) active.push(activeLine(job, now));
    if (active.length > 0) lines.push('Running:', ...folded(active, runningRoom - 1, 'running'));
  }
  if (failureRoom > 0) {
    lines.push(
      'Recent failures:',
      ...folded(recentFailures, failureRoom - 1, 'failure', 'failures'),
    );
  }
  return lines.slice(0, budget).map((line) => toWidth(line, size.columns));
}
