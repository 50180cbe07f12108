import type { Redis } from 'ioredis';
import { RestoreError } from '../shared/errors.js';
import type { StampedRecord } from '../shared/records.js';
import { checkHeader, checkRecord } from './file-store.js';
import type { PlanSnapshot } from './snapshot.js';
import type { JournalHeader } from './store.js';

/**
 * Reads a plan's journal LIST and checks it as `FileStore` checks a journal file (header, format
 * version, `seq` order, known record types, jobs the plan has), naming the key and the index of
 * what is wrong. Element n holds record n, so the elements a snapshot covers are not read at all
 * once the element at the snapshot's seq is found to be that record; otherwise every element is
 * read and checked. `length` is the list's length when it was read (header included).
 */
export async function readJournalList(
  redis: Redis,
  journal: string,
  snapshot: PlanSnapshot | null,
  where: string,
): Promise<{ header: JournalHeader; records: StampedRecord[]; length: number }> {
  const after = snapshot?.seq ?? 0;
  const [first, atSnapshot, tail, length] = (await redis
    .multi()
    .lindex(journal, 0)
    .lindex(journal, after)
    .lrange(journal, after > 0 ? after + 1 : 1, -1)
    .llen(journal)
    .exec())!.map(([error, value]) => {
    if (error) throw error;
    return value;
  }) as [string | null, string | null, string[], number];
  const at = (index: number) => `${where} index ${index}`;
  const parse = (text: string | null | undefined): unknown => {
    try {
      return text == null ? undefined : JSON.parse(text);
    } catch {
      return undefined;
    }
  };
  const header = relabel(() => checkHeader(parse(first), at(0)));
  const known = new Set(header.input.jobs.map((job) => job.id));
  let lines = tail;
  let lastSeq = 0;
  if (after > 0 && (parse(atSnapshot) as StampedRecord | undefined)?.seq === after) {
    lastSeq = after;
    for (const id of snapshot!.state.context.order) known.add(id);
  } else if (after > 0) {
    lines = await redis.lrange(journal, 1, -1);
  }
  const records: StampedRecord[] = [];
  for (let k = 0; k < lines.length; k++) {
    const index = lastSeq + 1;
    const record = relabel(() => checkRecord(parse(lines[k]), at(index), index));
    if (record.seq !== index) {
      throw new RestoreError(
        at(index),
        null,
        `record seq ${record.seq} where ${index} was expected`,
      );
    }
    if (record.type === 'job-added') known.add(record.jobId);
    const jobId = (record as { jobId?: unknown }).jobId;
    if (typeof jobId === 'string' && !known.has(jobId) && record.type !== 'result-ignored') {
      throw new RestoreError(
        at(index),
        null,
        `record ${record.type} names job "${jobId}", which the plan does not have`,
      );
    }
    lastSeq = index;
    if (record.seq > after) records.push(record);
  }
  return { header, records, length };
}

/** Reads the lines of a store's journal check as being about a Redis element, not a file line. */
function relabel<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof RestoreError && error.line !== null) {
      throw new RestoreError(
        error.file,
        null,
        error.problem
          .replace('the first line', 'the first element')
          .replace('the line', 'the element'),
      );
    }
    throw error;
  }
}
