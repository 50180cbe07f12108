import { constants } from 'node:fs';
import {
  appendFile,
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  stat,
} from 'node:fs/promises';
import { join } from 'node:path';
import { PRIVATE_FILE_MODE, PRIVATE_FOLDER_MODE } from '../persistence/private-file.js';
import { count } from './plural.js';

/**
 * Each attempt of a shell job keeps its output lines (stdout and stderr, in the order they came,
 * already redacted) in the state folder: `logs/<job>/<attempt>.log`, created at its first line, up
 * to a size limit per attempt; past it, lines are counted and dropped, and the log ends with
 * `… truncated N bytes`. Once the attempt's process ended and its log is whole, a line
 * `<job> <attempt>` is appended to `logs/.ended`: an attempt that printed nothing is known from it
 * alone. Creating files for every job cost more than anything else per job: each file created
 * between two synced writes of the journal made the next sync write it too (≈ 0.2–1 ms per job).
 * (Folders written before kept an empty `<attempt>.end` file instead; it is still read.)
 */

const LOGS_FOLDER = 'logs';
/** Not a job id (an id starts with a letter or a digit), so never a job's folder. */
const ENDED_LIST = '.ended';
/** Bytes of output kept per attempt unless `--log-max-bytes` says otherwise: 1 MiB. */
export const DEFAULT_LOG_MAX_BYTES = 1024 * 1024;
export const MIN_LOG_MAX_BYTES = 1024;
export const MAX_LOG_MAX_BYTES = 1024 * 1024 * 1024;

/** Where one attempt's output lines go. */
export interface AttemptLog {
  line(text: string): void;
  /** Writes the truncation marker, closes the log and marks it whole. */
  end(): Promise<void>;
}

/** Opens the log of a job's attempt. */
export type AttemptLogs = (jobId: string, attempt: number) => AttemptLog;

const { O_APPEND, O_CREAT, O_NOFOLLOW, O_TRUNC, O_WRONLY } = constants;
/** A private file opened for writing, never through a symbolic link. */
const PRIVATE_WRITE = O_CREAT | O_TRUNC | O_WRONLY | O_NOFOLLOW;
const APPEND_PRIVATE = O_CREAT | O_APPEND | O_WRONLY | O_NOFOLLOW;

const logPath = (stateDir: string, jobId: string, attempt: number, ending = 'log') =>
  join(stateDir, LOGS_FOLDER, jobId, `${attempt}.${ending}`);

/**
 * Logs kept in `stateDir`, at most `maxBytes` per attempt. A log that cannot be written (a full
 * disk) loses lines, never the job: output is a record of the job, not part of its outcome.
 */
export function folderLogs(stateDir: string, maxBytes = DEFAULT_LOG_MAX_BYTES): AttemptLogs {
  let folder: Promise<unknown> | undefined;
  const append = async (text: string) => {
    folder ??= mkdir(join(stateDir, LOGS_FOLDER), { recursive: true, mode: PRIVATE_FOLDER_MODE });
    await folder;
    await appendFile(join(stateDir, LOGS_FOLDER, ENDED_LIST), text, {
      flag: APPEND_PRIVATE,
      mode: PRIVATE_FILE_MODE,
    });
  };
  // Attempts that end while the list is being written are written together, by the next write.
  let waiting = '';
  let next: Promise<void> | null = null;
  let inFlight: Promise<void> = Promise.resolve();
  const ended = (jobId: string, attempt: number) => {
    waiting += `${jobId} ${attempt}\n`;
    next ??= inFlight.then(() => {
      const written = append(waiting);
      waiting = '';
      next = null;
      inFlight = written.catch(() => {});
      return written;
    });
    return next;
  };
  return (jobId, attempt) => new FolderLog(stateDir, jobId, attempt, maxBytes, ended);
}

/**
 * One attempt's log. Its file is created at its first line; every file operation goes through
 * the thread pool, so that a disk busy syncing the journal never holds the command's thread.
 */
class FolderLog implements AttemptLog {
  private written = 0;
  private dropped = 0;
  /** Lines not yet handed to the file. */
  private pending = '';
  private file: Promise<FileHandle | null> | null = null;
  private writing: Promise<void> | null = null;

  constructor(
    private readonly stateDir: string,
    private readonly jobId: string,
    private readonly attempt: number,
    private readonly maxBytes: number,
    private readonly ended: (jobId: string, attempt: number) => Promise<void>,
  ) {}

  line(text: string): void {
    const bytes = Buffer.byteLength(text) + 1;
    if (this.written + bytes > this.maxBytes) {
      this.dropped += bytes;
      return;
    }
    this.written += bytes;
    this.pending += `${text}\n`;
    this.writing ??= this.writePending();
  }

  async end(): Promise<void> {
    await this.writing;
    // A first line longer than the limit opens the log for its truncation line alone.
    if (this.file || this.dropped > 0) {
      const file = await this.open();
      if (!file) return;
      if (this.dropped > 0) {
        await file.write(`… truncated ${count(this.dropped, 'byte')}\n`).catch(() => {});
      }
      await file.close().catch(() => {});
    }
    // After the last write: the list says the log is whole. Without it (a full disk), `logs
    // --follow` ends when the run does.
    await this.ended(this.jobId, this.attempt).catch(() => {});
  }

  /** Hands the pending lines to the file, in order, until none is left. */
  private async writePending(): Promise<void> {
    const file = await this.open();
    while (this.pending.length > 0) {
      const text = this.pending;
      this.pending = '';
      await file?.write(text).catch(() => {});
    }
    this.writing = null;
  }

  private open(): Promise<FileHandle | null> {
    this.file ??= mkdir(join(this.stateDir, LOGS_FOLDER, this.jobId), {
      recursive: true,
      mode: PRIVATE_FOLDER_MODE,
    })
      .then(() =>
        open(logPath(this.stateDir, this.jobId, this.attempt), PRIVATE_WRITE, PRIVATE_FILE_MODE),
      )
      .catch(() => null);
    return this.file;
  }
}

/** The attempts of `jobId` that `logs/.ended` lists. */
async function endedAttempts(stateDir: string, jobId: string): Promise<number[]> {
  const list = await readFile(join(stateDir, LOGS_FOLDER, ENDED_LIST), 'utf8').catch(() => '');
  const attempts: number[] = [];
  const prefix = `${jobId} `;
  for (const line of list.split('\n')) {
    if (line.startsWith(prefix)) attempts.push(Number(line.slice(prefix.length)));
  }
  return attempts;
}

/**
 * The attempts of a job that have a log, in order: those that printed a line, and those that
 * ended (an attempt that printed nothing has an empty log); empty when it has none.
 */
export async function loggedAttempts(stateDir: string, jobId: string): Promise<number[]> {
  const names = await readdir(join(stateDir, LOGS_FOLDER, jobId)).catch(() => []);
  const attempts = new Set(await endedAttempts(stateDir, jobId));
  for (const name of names) {
    const attempt = /^(\d+)\.log$/.exec(name)?.[1];
    if (attempt !== undefined) attempts.add(Number(attempt));
  }
  return [...attempts].sort((a, b) => a - b);
}

/** Where a job's attempt's log is. */
export function attemptLogFiles(stateDir: string, jobId: string, attempt: number) {
  return { log: logPath(stateDir, jobId, attempt) };
}

/** Whether the attempt's log is whole (its process ended). */
export async function attemptEnded(stateDir: string, jobId: string, attempt: number) {
  if ((await endedAttempts(stateDir, jobId)).includes(attempt)) return true;
  // Written by earlier versions.
  return stat(logPath(stateDir, jobId, attempt, 'end')).then(
    () => true,
    () => false,
  );
}

/** The text of a job's attempt's log (the latest attempt by default), or null if there is none. */
export async function readAttemptLog(
  stateDir: string,
  jobId: string,
  attempt?: number,
): Promise<{ attempt: number; text: string; ended: boolean } | null> {
  const chosen = attempt ?? (await loggedAttempts(stateDir, jobId)).at(-1);
  if (chosen === undefined) return null;
  const ended = await attemptEnded(stateDir, jobId, chosen);
  const text = await readFile(logPath(stateDir, jobId, chosen), 'utf8').catch(() => null);
  // No file, but ended: the attempt printed nothing.
  if (text === null) return ended ? { attempt: chosen, text: '', ended } : null;
  return { attempt: chosen, text, ended };
}
