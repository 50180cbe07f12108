import type { Redis } from 'ioredis';
import { REPORTS_FIELD, type Report, type ReportKind } from './protocol.js';

/** Entries kept in a queue's report stream: room for a coordinator that falls behind. */
export const REPORTS_KEPT = 100_000;

/** Sends a worker's attempt reports to its queue's report stream (`reportStreamOf`). */
export interface ReportSender {
  send(queueJobId: string, kind: ReportKind, value: unknown): void;
  /** Resolves once every report sent so far reached Redis (or failed to). */
  flushed(): Promise<void>;
}

/**
 * The reports of one turn of the event loop go to the stream as one entry: one command for all
 * the attempts a worker began or ended meanwhile. In order: an attempt's progress is always
 * ahead of its outcome. A report that cannot be sent is dropped: the coordinator reads a
 * missed outcome from BullMQ's job instead.
 */
export function reportSender(client: Redis, stream: string): ReportSender {
  let pending: Report[] = [];
  let last: Promise<unknown> = Promise.resolve();
  const flush = () => {
    if (pending.length === 0) return;
    const reports = asJson(pending);
    pending = [];
    last = client
      .xadd(stream, 'MAXLEN', '~', REPORTS_KEPT, '*', REPORTS_FIELD, reports)
      .catch(() => undefined);
  };
  return {
    send(queueJobId, kind, value) {
      if (pending.length === 0) setImmediate(flush);
      pending.push([queueJobId, kind, value ?? null]);
    },
    async flushed() {
      flush();
      await last;
    },
  };
}

/** The reports as JSON; one whose value is not JSON data (a handler's progress) says so instead. */
function asJson(reports: Report[]): string {
  try {
    return JSON.stringify(reports);
  } catch {
    const each = reports.map((report) => {
      try {
        return JSON.stringify(report);
      } catch (error) {
        const [queueJobId, kind] = report;
        return JSON.stringify([queueJobId, kind, `[not JSON data: ${(error as Error).message}]`]);
      }
    });
    return `[${each.join(',')}]`;
  }
}
