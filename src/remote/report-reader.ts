import type { Redis } from 'ioredis';
import { parseReports, type Report } from './protocol.js';

/** Entries (each the reports of one turn of a worker) read from the stream at most at once. */
const ENTRIES_PER_READ = 200;
/** How long a read waits for a report before asking again, in ms. */
const READ_BLOCK_MS = 1_000;

/** A coordinator's reading of its queue's report stream (`readReports`). */
export interface ReportReading {
  /** Stops reading and disconnects the reader's connection. */
  close(): void;
}

/**
 * Reads the reports the workers of a queue append to `stream`, from its end as it is now on, in
 * batches, and hands each to `onReport`. The position read up to is kept here, so that a
 * connection lost and found again (ioredis reconnects and sends the read again) misses nothing
 * the stream still holds. `reader` is given over: its own connection, since a read blocks it.
 */
export async function readReports(
  reader: Redis,
  stream: string,
  onReport: (report: Report) => void,
): Promise<ReportReading> {
  reader.on('error', () => {
    // ioredis reconnects on its own; the read is sent again from the position kept.
  });
  const [last] = (await reader.xrevrange(stream, '+', '-', 'COUNT', 1)) as [string, string[]][];
  let position = last?.[0] ?? '0-0';
  let closed = false;
  const loop = async () => {
    while (!closed) {
      let reply: [string, [string, string[]][]][] | null;
      try {
        reply = (await reader.xread(
          'COUNT',
          ENTRIES_PER_READ,
          'BLOCK',
          READ_BLOCK_MS,
          'STREAMS',
          stream,
          position,
        )) as [string, [string, string[]][]][] | null;
      } catch {
        if (closed) return;
        // Not a lost connection (ioredis waits out those): a moment before trying again.
        await new Promise((resolve) => setTimeout(resolve, READ_BLOCK_MS));
        continue;
      }
      for (const [, entries] of reply ?? []) {
        for (const [id, fields] of entries) {
          position = id;
          for (const report of parseReports(fields)) onReport(report);
        }
      }
    }
  };
  void loop();
  return {
    close() {
      closed = true;
      reader.disconnect();
    },
  };
}
