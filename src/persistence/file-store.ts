import { chmod, mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { PersistenceError, RestoreError } from '../runtime/errors.js';
import type { StampedRecord } from '../runtime/records.js';
import { checkSnapshot, type PlanSnapshot } from './journal-fold.js';
import { JOURNAL_FORMAT, type JournalHeader, type Store, type StoredPlan } from './store.js';

const JOURNAL = 'journal.jsonl';
const SNAPSHOT = 'snapshot.json';

/**
 * A journal on disk: one JSON value per line, the header first, then the records in `seq` order.
 * The folder is created private (0700) and the journal 0600. `flush` writes every buffered line
 * with one write and one fsync, however many passes asked for it; a failed write keeps the lines
 * buffered, so a later flush writes them again and nothing is lost.
 */
export class FileStore implements Store {
  readonly path: string;
  readonly snapshotPath: string;
  private buffer: string[] = [];
  private tail: Promise<void> = Promise.resolve();
  /** True until the header of a new journal is on disk. */
  private starting = false;

  constructor(readonly dir: string) {
    this.path = join(dir, JOURNAL);
    this.snapshotPath = join(dir, SNAPSHOT);
  }

  begin(header: JournalHeader): void {
    this.starting = true;
    this.buffer.push(JSON.stringify(header));
  }

  append(records: readonly StampedRecord[]): void {
    for (const record of records) this.buffer.push(serialize(record));
  }

  flush(): Promise<void> {
    // Flushes run one after another; each writes what was buffered when it started.
    this.tail = this.tail.catch(() => {}).then(() => this.write());
    return this.tail;
  }

  private async write(): Promise<void> {
    if (this.buffer.length === 0) return;
    const lines = this.buffer;
    this.buffer = [];
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      await chmod(this.dir, 0o700);
      // A new plan never writes into another plan's journal.
      const file = await open(this.path, this.starting ? 'wx' : 'a', 0o600);
      this.starting = false;
      try {
        await file.write(`${lines.join('\n')}\n`);
        await file.sync();
      } finally {
        await file.close();
      }
    } catch (error) {
      this.buffer = lines.concat(this.buffer);
      if ((error as { code?: string }).code === 'EEXIST') {
        throw new PersistenceError(
          this.path,
          new Error(
            'a journal is already there; resume it with resumeOrchestrator, or use another folder',
          ),
        );
      }
      throw new PersistenceError(this.path, error);
    }
  }

  /** Written beside the journal as a temporary file, synced, then renamed over the old one. */
  async writeSnapshot(snapshot: PlanSnapshot): Promise<void> {
    const temporary = `${this.snapshotPath}.tmp`;
    try {
      const file = await open(temporary, 'w', 0o600);
      try {
        await file.write(JSON.stringify(snapshot));
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temporary, this.snapshotPath);
    } catch (error) {
      throw new PersistenceError(this.snapshotPath, error);
    }
  }

  async load(): Promise<StoredPlan> {
    const snapshot = await readSnapshot(this.snapshotPath);
    const journal = await readJournalAfter(this.path, snapshot);
    return { ...journal, snapshot };
  }
}

async function readSnapshot(path: string): Promise<PlanSnapshot | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return null;
    throw new RestoreError(path, null, String(error));
  }
  try {
    return checkSnapshot(JSON.parse(text), path);
  } catch (error) {
    if (error instanceof RestoreError) throw error;
    throw new RestoreError(path, null, 'the snapshot is not valid JSON');
  }
}

function serialize(record: StampedRecord): string {
  try {
    return JSON.stringify(record);
  } catch (error) {
    const jobId = 'jobId' in record ? ` of job "${record.jobId}"` : '';
    throw new PersistenceError(`record ${record.seq} (${record.type}${jobId})`, error);
  }
}

/**
 * Reads a journal. A torn last line (a crash in the middle of a write) is dropped with a
 * warning; any other damage is a `RestoreError` naming the file, the line and the problem.
 */
export function readJournal(path: string): Promise<StoredPlan> {
  return readJournalAfter(path, null);
}

/**
 * Reads the records of a journal after a snapshot. Line n holds record n, so the lines the
 * snapshot covers are not parsed at all (most of a restore's reading time) once the line at the
 * snapshot's seq is found to be that record; otherwise every line is read and checked.
 */
async function readJournalAfter(path: string, snapshot: PlanSnapshot | null): Promise<StoredPlan> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new RestoreError(
      path,
      null,
      code === 'ENOENT' ? 'the journal does not exist' : String(error),
    );
  }
  if (text.trim() === '') throw new RestoreError(path, null, 'the journal is empty');
  const lines = text.split('\n');
  const complete = text.endsWith('\n');
  if (complete) lines.pop();
  const warnings: string[] = [];
  const parse = (index: number): unknown => {
    try {
      return JSON.parse(lines[index]!);
    } catch {
      return undefined;
    }
  };

  const header = parse(0) as JournalHeader | undefined;
  if (!header || typeof header !== 'object' || !('format' in header)) {
    throw new RestoreError(path, 1, 'the first line is not a journal header');
  }
  if (header.format !== JOURNAL_FORMAT) {
    throw new RestoreError(
      path,
      1,
      `unknown format version ${JSON.stringify(header.format)} (this version reads ${JOURNAL_FORMAT})`,
    );
  }
  const known = new Set(header.input.jobs.map((job) => job.id));
  const records: StampedRecord[] = [];
  let lastSeq = 0;
  const after = snapshot?.seq ?? 0;
  if (after > 0 && after < lines.length && (parse(after) as StampedRecord)?.seq === after) {
    lastSeq = after;
    for (const id of snapshot!.state.context.order) known.add(id);
  }
  for (let i = lastSeq + 1; i < lines.length; i++) {
    const record = parse(i) as StampedRecord | undefined;
    const lineNumber = i + 1;
    if (record === undefined) {
      if (i === lines.length - 1 && !complete) {
        warnings.push(
          `${path}:${lineNumber}: dropped a torn last line (the process stopped while writing it)`,
        );
        break;
      }
      throw new RestoreError(path, lineNumber, 'the line is not valid JSON');
    }
    const expected = lastSeq + 1;
    if (record.seq !== expected) {
      throw new RestoreError(
        path,
        lineNumber,
        `record seq ${record.seq} where ${expected} was expected`,
      );
    }
    if (record.type === 'job-added') known.add(record.jobId);
    // Only an ignored result may name a job the plan never had (that is why it was ignored).
    const jobId = (record as { jobId?: unknown }).jobId;
    if (typeof jobId === 'string' && !known.has(jobId) && record.type !== 'result-ignored') {
      throw new RestoreError(
        path,
        lineNumber,
        `record ${record.type} names job "${jobId}", which the plan does not have`,
      );
    }
    lastSeq = record.seq;
    if (record.seq > after) records.push(record);
  }
  return { header, snapshot: null, records, warnings };
}
