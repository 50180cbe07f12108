import { open } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { liveOwnerOf } from '../persistence/folder-lock.js';
import { ID_PATTERN } from '../plan/validate.js';
import { attemptEnded, attemptLogFiles, loggedAttempts, readAttemptLog } from './job-logs.js';
import { EXIT } from './output.js';
import { UsageError } from './redis-options.js';
import { readStateFolder } from './state-folder.js';

/** How often `logs --follow` looks for new lines. */
const FOLLOW_EVERY_MS = 100;

export interface LogsOptions {
  stateDir: string;
  attempt?: number;
  follow?: boolean;
}

/**
 * `logs <job>`: prints the output of a job's attempt (the latest by default) kept in the state
 * folder. With `--follow` it goes on printing lines as they come and ends when the attempt ends
 * (or the run stops); without an attempt yet, it waits for the first while the plan runs.
 */
export async function showLogs(jobId: string, options: LogsOptions): Promise<number> {
  if (!ID_PATTERN.test(jobId)) {
    throw new UsageError(`logs: "${jobId}" is not a job id (letters, digits, ".", "_" and "-")`);
  }
  const { stateDir } = options;
  await readStateFolder(stateDir); // a folder that is not a plan's is a RestoreError, exit 3
  if (!options.follow) {
    const found = await readAttemptLog(stateDir, jobId, options.attempt);
    if (!found) throw await noLog(stateDir, jobId, options.attempt);
    process.stdout.write(found.text);
    return EXIT.completed;
  }
  return follow(stateDir, jobId, options.attempt);
}

async function follow(stateDir: string, jobId: string, wanted?: number): Promise<number> {
  let attempt = wanted;
  let offset = 0;
  for (;;) {
    // Read after asking, so that a log that ended (or a run that stopped) is printed whole.
    const running = (await liveOwnerOf(stateDir).catch(() => null)) !== null;
    attempt ??= (await loggedAttempts(stateDir, jobId)).at(-1);
    if (attempt !== undefined) {
      const ended = await attemptEnded(stateDir, jobId, attempt);
      offset = await printFrom(attemptLogFiles(stateDir, jobId, attempt).log, offset);
      if (ended) return EXIT.completed;
    }
    if (!running) {
      if (attempt === undefined || offset === 0) throw await noLog(stateDir, jobId, wanted);
      return EXIT.completed;
    }
    await delay(FOLLOW_EVERY_MS);
  }
}

/** Prints what the file holds past `offset`; the new offset (the same when it is not there yet). */
async function printFrom(path: string, offset: number): Promise<number> {
  const file = await open(path, 'r').catch(() => null);
  if (!file) return offset;
  try {
    const { size } = await file.stat();
    if (size <= offset) return offset;
    const chunk = Buffer.alloc(size - offset);
    const { bytesRead } = await file.read(chunk, 0, chunk.length, offset);
    process.stdout.write(chunk.subarray(0, bytesRead));
    return offset + bytesRead;
  } finally {
    await file.close();
  }
}

async function noLog(stateDir: string, jobId: string, attempt?: number): Promise<UsageError> {
  const attempts = await loggedAttempts(stateDir, jobId);
  if (attempts.length > 0 && attempt !== undefined) {
    return new UsageError(
      `Job "${jobId}" has no log of attempt ${attempt} in ${stateDir}; it has logs of ${attempts.length === 1 ? 'attempt' : 'attempts'} ${attempts.join(', ')} (a running attempt's log starts at its first line)`,
    );
  }
  return new UsageError(
    `No log of job "${jobId}" in ${stateDir}: it has not started an attempt there, its running attempt has printed nothing yet, or it is not a job of this plan`,
  );
}
