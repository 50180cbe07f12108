import type { PlanView } from '../runtime/view.js';
import type { StampedRecord } from '../shared/records.js';
import type { OutputLine } from './shell-job.js';

/** Shows a running plan: told every record and every new view. */
export interface Reporter {
  record(record: StampedRecord): void;
  view(view: PlanView): void;
  end(view: PlanView): void;
}

export type ReporterKind = 'pretty' | 'plain' | 'jsonl';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/** The record as a line a person reads, or null for records that are not transitions. */
function describe(record: StampedRecord): string | null {
  switch (record.type) {
    case 'attempt-started':
      return `${record.jobId}: started (attempt ${record.attempt})`;
    case 'job-progress': {
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
  const counts = Object.entries(view.counts)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${status}`)
    .join(', ');
  return `Plan "${view.planId}" ${view.status}: ${counts}`;
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
    view() {},
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
    view() {},
    end() {},
  };
}

const BAR_WIDTH = 30;

/** A live table of jobs on a terminal: status, attempt, duration, and a progress bar. */
export function prettyReporter(write: (text: string) => void, now: () => number): Reporter {
  let drawn = 0;
  let latest: PlanView | null = null;
  const erase = () => {
    if (drawn > 0) write(`\x1b[${drawn}F\x1b[J`);
    drawn = 0;
  };
  const draw = (view: PlanView) => {
    const done =
      view.counts.succeeded +
      view.counts.failed +
      view.counts.blocked +
      view.counts.skipped +
      view.counts.canceled;
    const filled = Math.round((done / Math.max(1, view.jobs.length)) * BAR_WIDTH);
    const lines = [
      `${view.planId}  [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${done}/${view.jobs.length}  ${view.status}`,
      ...view.jobs.map((job) => {
        const took =
          job.startedAt === undefined ? '' : seconds((job.endedAt ?? now()) - job.startedAt);
        return `  ${job.id.padEnd(24)} ${job.status.padEnd(20)} ${job.attempt > 0 ? `#${job.attempt}` : ''.padEnd(2)} ${took}`;
      }),
    ];
    write(`${lines.join('\n')}\n`);
    drawn = lines.length;
  };
  return {
    record(record) {
      // Job output and failures scroll above the table.
      if (
        record.type === 'job-progress' ||
        record.type === 'job-failed' ||
        record.type === 'attempt-failed' ||
        (record.type === 'plan-restored' && record.warnings.length > 0)
      ) {
        erase();
        write(`${describe(record)}\n`);
        if (latest) draw(latest);
      }
    },
    view(view) {
      latest = view;
      erase();
      draw(view);
    },
    end(view) {
      erase();
      draw(view);
      write(`${summary(view)}\n`);
    },
  };
}
