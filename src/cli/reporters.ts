import type { PlanView } from '../runtime/view.js';
import { isPlacement, noWorkerOf, workerOf } from '../shared/placement.js';
import type { StampedRecord } from '../shared/records.js';
import {
  countsLine,
  DEFAULT_SIZE,
  nonZeroCounts,
  renderFrame,
  seconds,
  type TerminalSize,
} from './live-view.js';
import type { OutputLine } from './shell-job.js';

/** Shows a running plan: told every record, and that the plan's view changed. */
export interface Reporter {
  record(record: StampedRecord): void;
  /**
   * The view changed; `current` builds it. Building it walks every job, so a reporter calls it
   * only when it draws (at most once a frame), never per change: a run's cost per job stays flat
   * however large the plan. Reporters that show no view leave this out.
   */
  view?(current: () => PlanView): void;
  end(view: PlanView): void;
  /**
   * Something else is about to write to the terminal (a question at a checkpoint): a view drawn
   * in place clears itself, and draws its next frame below what was written meanwhile.
   */
  giveWay?(): void;
}

export type ReporterKind = 'pretty' | 'plain' | 'jsonl';

/** The record as a line a person reads, or null for records that are not transitions. */
function describe(record: StampedRecord): string | null {
  switch (record.type) {
    case 'attempt-started':
      return `${record.jobId}: started (attempt ${record.attempt})`;
    case 'job-progress': {
      const worker = workerOf(record.progress);
      if (worker !== undefined) return `${record.jobId}: on worker ${worker}`;
      const waiting = noWorkerOf(record.progress);
      if (waiting !== undefined) return `${record.jobId}: queued, ${waiting}`;
      const output = record.progress as OutputLine;
      return `${record.jobId} | ${output.line}`;
    }
    case 'attempt-failed':
      return `${record.jobId}: ${record.error.message}; retrying in ${seconds(record.retryInMs)}`;
    case 'job-succeeded':
      return `${record.jobId}: succeeded`;
    case 'job-failed':
      return `${record.jobId}: failed (${record.kind}): ${record.error.message}`;
    case 'job-blocked':
      return `${record.jobId}: blocked by ${record.by}`;
    case 'job-skipped':
      return `${record.jobId}: skipped`;
    case 'job-canceled':
      return `${record.jobId}: canceled`;
    case 'attempt-interrupted':
      return `${record.jobId}: attempt ${record.attemptId} was interrupted; it runs again`;
    case 'plan-paused':
      return 'jobId' in record.checkpoint
        ? `plan paused at ${record.checkpoint.name} (job "${record.checkpoint.jobId}")`
        : `plan paused at ${record.checkpoint.name}`;
    case 'plan-restored':
      // e.g. a torn last line of the journal was dropped: the person resuming must see it.
      return record.warnings.length > 0
        ? record.warnings.map((warning) => `warning: ${warning}`).join('\n')
        : null;
    case 'plan-resumed':
      return 'plan resumed';
    case 'command-rejected':
      return `command ${record.command.type} rejected: ${record.reason}`;
    case 'plan-completed':
    case 'plan-failed':
    case 'plan-canceled':
      return `plan ${record.type.slice(5)}${'reason' in record && record.reason ? `: ${record.reason}` : ''}`;
    default:
      return null;
  }
}

function summary(view: PlanView): string {
  return `Plan "${view.planId}" ${view.status}: ${nonZeroCounts(view)}`;
}

/** One line per transition, with the time since the plan started. */
export function plainReporter(write: (text: string) => void, now: () => number): Reporter {
  const start = now();
  return {
    record(record) {
      const text = describe(record);
      if (!text) return;
      const time = `[${seconds(now() - start).padStart(6)}]`;
      for (const line of text.split('\n')) write(`${time} ${line}\n`);
    },
    end(view) {
      write(`${summary(view)}\n`);
    },
  };
}

/** One JSON object per record: for programs and snapshot tests. */
export function jsonlReporter(write: (text: string) => void): Reporter {
  return {
    record(record) {
      write(`${JSON.stringify(record)}\n`);
    },
    end() {},
  };
}

/** What the live view needs from its surroundings; tests give a fake terminal and fake timers. */
export interface PrettyOptions {
  /** The terminal's size now (it may change between frames). */
  size?: () => TerminalSize;
  /** Least time between two frames, in ms (default 250: four redraws a second). */
  frameMs?: number;
  setTimer?: (callback: () => void, ms: number) => unknown;
  clearTimer?: (timer: unknown) => void;
}

/** Failures the live view remembers for its "Recent failures" lines. */
const RECENT_FAILURES = 50;
/** Failed jobs the final summary lists before folding the rest. */
const SUMMARY_FAILURES = 10;

/**
 * A live view on a terminal that fits the terminal (see `renderFrame`), redrawn at most once per
 * `frameMs` however many records arrive: its cost per update depends on the terminal's size,
 * not on the plan's. Job output and failures scroll above it as they come; at the end the view
 * gives way to a summary.
 */
export function prettyReporter(
  write: (text: string) => void,
  now: () => number,
  options: PrettyOptions = {},
): Reporter {
  const size = options.size ?? (() => DEFAULT_SIZE);
  const frameMs = options.frameMs ?? 250;
  const setTimer = options.setTimer ?? ((callback, ms) => setTimeout(callback, ms));
  const clearTimer =
    options.clearTimer ?? ((timer) => clearTimeout(timer as ReturnType<typeof setTimeout>));
  const start = now();
  const failures: string[] = [];
  let drawn = 0;
  let lastFrame = Number.NEGATIVE_INFINITY;
  let timer: unknown;
  let latest: (() => PlanView) | null = null;

  const erase = () => {
    if (drawn > 0) write(`\x1b[${drawn}F\x1b[J`);
    drawn = 0;
  };
  const draw = () => {
    timer = undefined;
    if (!latest) return;
    lastFrame = now();
    const lines = renderFrame(latest(), size(), lastFrame, failures);
    erase();
    write(`${lines.join('\n')}\n`);
    drawn = lines.length;
  };
  const giveWay = () => {
    if (timer !== undefined) clearTimer(timer);
    timer = undefined;
    erase();
  };
  const schedule = () => {
    if (timer !== undefined) return;
    timer = setTimer(draw, Math.max(0, lastFrame + frameMs - now()));
  };
  return {
    record(record) {
      if (record.type === 'job-failed') {
        failures.unshift(`  ${record.jobId}: ${record.kind}: ${record.error.message}`);
        failures.length = Math.min(failures.length, RECENT_FAILURES);
      }
      // Job output and failures scroll above the view; the view comes back with the next frame.
      // Where a job's attempt stands on its queue shows in the view's table instead.
      if (
        (record.type === 'job-progress' && !isPlacement(record.progress)) ||
        record.type === 'job-failed' ||
        record.type === 'attempt-failed' ||
        (record.type === 'plan-restored' && record.warnings.length > 0)
      ) {
        erase();
        write(`${describe(record)}\n`);
        schedule();
      }
    },
    view(current) {
      latest = current;
      schedule();
    },
    end(view) {
      giveWay();
      write(finalSummary(view, now() - start));
    },
    giveWay,
  };
}

/** What stays on the terminal when a plan ends: its counts, its failed jobs, its duration. */
function finalSummary(view: PlanView, tookMs: number): string {
  const failed = view.jobs.filter((job) => job.status === 'failed');
  const lines = [`${view.planId}  ${view.status} in ${seconds(tookMs)}`, `  ${countsLine(view)}`];
  if (failed.length > 0) {
    const shown = failed.slice(0, SUMMARY_FAILURES);
    lines.push('Failed:');
    for (const job of shown) {
      lines.push(
        `  ${job.id}${job.failure ? `: ${job.failure.kind}: ${job.failure.error.message}` : ''}`,
      );
    }
    if (failed.length > shown.length) lines.push(`  … ${failed.length - shown.length} more failed`);
  }
  lines.push(summary(view));
  return `${lines.join('\n')}\n`;
}
