import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { type FileHandle, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NonRetryableError } from '../shared/errors.js';
import { OUTPUT_KEY } from './expressions.js';
import { UsageError } from './redis-options.js';

/**
 * The outputs of a shell command: it writes lines to the file named by `$PLAN_OUTPUT`, either
 * `key=value` or, for a value of several lines, `key<<DELIMITER`, the lines, then `DELIMITER`
 * alone on a line. A key written twice keeps its last value.
 */
export type Outputs = Record<string, string>;

/** Largest `$PLAN_OUTPUT` file read: outputs are recorded in the journal with the job. */
const MAX_OUTPUT_FILE_BYTES = 1_048_576;

let folder: string | undefined;

/**
 * A private folder for this process's output files, removed when it exits. Made before the
 * first job by the commands (so that an unusable TMPDIR stops them before anything runs), else at
 * the first job, which then fails without a retry: every attempt would fail the same way.
 */
function outputFolder(): string {
  if (folder === undefined) {
    let made: string;
    try {
      made = mkdtempSync(join(tmpdir(), 'plan-outputs-'));
    } catch (error) {
      const { code, message } = error as NodeJS.ErrnoException;
      throw new NonRetryableError(
        `Cannot make the folder for jobs' $PLAN_OUTPUT files in ${tmpdir()} (TMPDIR ${process.env.TMPDIR === undefined ? 'unset' : `"${process.env.TMPDIR}"`}): ${code ?? message}; set TMPDIR to a folder this user can write`,
      );
    }
    folder = made;
    process.once('exit', () => rmSync(made, { recursive: true, force: true }));
  }
  return folder;
}

/** Makes the output folder now, before any job: an unusable TMPDIR is a usage error (exit 2). */
export function prepareOutputFolder(): void {
  try {
    outputFolder();
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * Names an output file in this process's private folder; the command creates it when it writes
 * (`>>` does), so a job that writes no outputs costs no file. `read` parses it and removes it.
 */
export function createOutputFile(): {
  path: string;
  read(): Promise<Outputs>;
  discard(): Promise<void>;
} {
  const path = join(outputFolder(), randomUUID());
  const discard = () => rm(path, { force: true });
  return {
    path,
    discard,
    async read() {
      // Most commands write no outputs: asking costs less than an open that fails with ENOENT.
      if (!existsSync(path)) return Object.create(null);
      let handle: FileHandle;
      try {
        handle = await open(path, 'r');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Object.create(null);
        throw error;
      }
      try {
        const { size } = await handle.stat();
        if (size > MAX_OUTPUT_FILE_BYTES) {
          throw new NonRetryableError(
            `$PLAN_OUTPUT holds ${size} bytes, more than ${MAX_OUTPUT_FILE_BYTES}: outputs are recorded with the job; write large data to a file and output its path`,
          );
        }
        return parseOutputs(await handle.readFile('utf8'));
      } finally {
        await handle.close();
        await discard();
      }
    },
  };
}

/** Parses the text of an output file; a malformed line is an error naming its line number. */
export function parseOutputs(text: string): Outputs {
  const outputs: Outputs = Object.create(null);
  const lines = text.split('\n').map((line) => line.replace(/\r$/, ''));
  if (lines.at(-1) === '') lines.pop();
  const wrong = (n: number, why: string) => new NonRetryableError(`$PLAN_OUTPUT line ${n}: ${why}`);
  const checkKey = (key: string, n: number) => {
    if (!OUTPUT_KEY.test(key)) {
      throw wrong(
        n,
        `${JSON.stringify(key)} is not an output name (a letter or "_", then letters, digits, "_" or "-")`,
      );
    }
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const heredoc = /^([^=]*?)<<(.+)$/.exec(line);
    const equals = line.indexOf('=');
    if (heredoc && (equals < 0 || equals > line.indexOf('<<'))) {
      const [, key, delimiter] = heredoc as unknown as [string, string, string];
      checkKey(key, i + 1);
      const end = lines.indexOf(delimiter, i + 1);
      if (end < 0) {
        throw wrong(i + 1, `"${key}<<${delimiter}" has no closing line "${delimiter}"`);
      }
      outputs[key] = lines.slice(i + 1, end).join('\n');
      i = end;
      continue;
    }
    if (equals < 0) {
      throw wrong(i + 1, 'expected key=value, or key<<DELIMITER for a value of several lines');
    }
    const key = line.slice(0, equals);
    checkKey(key, i + 1);
    outputs[key] = line.slice(equals + 1);
  }
  return outputs;
}
