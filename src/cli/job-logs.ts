import { closeSync, constants, createWriteStream, mkdirSync, openSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PRIVATE_FILE_MODE, PRIVATE_FOLDER_MODE } from '../persistence/private-file.js';
import { count } from './plural.js';

/**
 * Each attempt of a shell job keeps its output lines (stdout and stderr, in the order they came,
 * already redacted) in the state folder: `logs/<job>/<attempt>.log`, up to a size limit per
 * attempt; past it, lines are counted and dropped, and the log ends with
 * `… truncated N bytes`. `logs/<job>/<attempt>.end` (empty) appears once the attempt's process ended and
 * its log is whole.
 */

const LOGS_FOLDER = 'logs';
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

const { O_CREAT, O_NOFOLLOW, O_TRUNC, O_WRONLY } = constants;

const logPath = (stateDir: string, jobId: string, attempt: number, ending = 'log') =>
  join(stateDir, LOGS_FOLDER, jobId, `${attempt}.${ending}`);

/** Opens a private file for writing, never through a symbolic link. */
function openPrivate(path: string): number {
  return openSync(path, O_CREAT | O_TRUNC | O_WRONLY | O_NOFOLLOW, PRIVATE_FILE_MODE);
}

/**
 * Logs kept in `stateDir`, at most `maxBytes` per attempt. A log that cannot be written (a full
 * disk) loses lines, never the job: output is a record of the job, not part of its outcome.
 */
export function folderLogs(stateDir: string, maxBytes = DEFAULT_LOG_MAX_BYTES): AttemptLogs {
  return (jobId, attempt) => {
    let written = 0;
    let dropped = 0;
    let stream: ReturnType<typeof createWriteStream> | null = null;
    try {
      mkdirSync(join(stateDir, LOGS_FOLDER, jobId), {
        recursive: true,
        mode: PRIVATE_FOLDER_MODE,
      });
      stream = createWriteStream('', { fd: openPrivate(logPath(stateDir, jobId, attempt)) });
      stream.on('error', () => {
        stream = null;
      });
    } catch {
      stream = null;
    }
    return {
      line(text) {
        const bytes = Buffer.byteLength(text) + 1;
        if (written + bytes > maxBytes) {
          dropped += bytes;
          return;
        }
        written += bytes;
        stream?.write(`${text}\n`);
      },
      async end() {
        const open = stream;
        if (!open) return;
        if (dropped > 0) open.write(`… truncated ${count(dropped, 'byte')}\n`);
        await new Promise<void>((resolve) => open.end(resolve));
        try {
          // Empty: a mark that takes no space on a file system that is filling up.
          closeSync(openPrivate(logPath(stateDir, jobId, attempt, 'end')));
        } catch {
          // Without the mark, `logs --follow` ends when the run does.
        }
      },
    };
  };
}

/** The attempts of a job that have a log, in order; empty when it has none. */
export async function loggedAttempts(stateDir: string, jobId: string): Promise<number[]> {
  const names = await readdir(join(stateDir, LOGS_FOLDER, jobId)).catch(() => []);
  return names
    .map((name) => /^(\d+)\.log$/.exec(name)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

/** Where a job's attempt's log is, and whether the attempt ended. */
export function attemptLogFiles(stateDir: string, jobId: string, attempt: number) {
  return { log: logPath(stateDir, jobId, attempt), end: logPath(stateDir, jobId, attempt, 'end') };
}

/** Whether the attempt's log is whole (its process ended). */
export async function attemptEnded(stateDir: string, jobId: string, attempt: number) {
  return stat(attemptLogFiles(stateDir, jobId, attempt).end).then(
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
  const text = await readFile(logPath(stateDir, jobId, chosen), 'utf8').catch(() => null);
  if (text === null) return null;
  return { attempt: chosen, text, ended: await attemptEnded(stateDir, jobId, chosen) };
}
