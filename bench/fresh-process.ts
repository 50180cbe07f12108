/**
 * Runs one cell script in a fresh Node process and returns the JSON line it prints. A fresh
 * process per cell keeps one cell's heap, JIT state and leftover timers out of the next.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What every cell prints, whatever else it measures. */
export interface CellResult {
  valid: boolean;
  problems: string[];
  timedOut?: boolean;
  [measure: string]: unknown;
}

export async function runInFreshProcess(
  script: string,
  args: readonly (string | number)[],
  timeoutMs: number,
): Promise<CellResult> {
  const argv = [
    '--expose-gc',
    '--max-old-space-size=8192',
    '--import',
    'tsx',
    join(import.meta.dirname, script),
    ...args.map(String),
  ];
  try {
    const { stdout } = await run(process.execPath, argv, {
      maxBuffer: 1 << 20,
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as CellResult;
  } catch (error) {
    // A crash, a timeout or unreadable output: the cell is reported invalid, never dropped.
    const timedOut = (error as { killed?: boolean }).killed === true;
    const problem = timedOut ? `over ${timeoutMs / 1000} s` : String(error).slice(0, 300);
    return { valid: false, timedOut, problems: [problem] };
  }
}

/** The same cell run several times, each in its own process; valid only if every run was. */
export interface Repeated {
  valid: boolean;
  problems: string[];
  runs: CellResult[];
}

export async function repeatInFreshProcesses(
  times: number,
  script: string,
  args: readonly (string | number)[],
  timeoutMs: number,
): Promise<Repeated> {
  const runs: CellResult[] = [];
  for (let i = 0; i < times; i++) runs.push(await runInFreshProcess(script, args, timeoutMs));
  const problems = [...new Set(runs.flatMap((run) => run.problems))];
  const valid = runs.every((run) => run.valid);
  process.stderr.write(`${script} ${args.join(' ')}: ${valid ? 'ok' : `INVALID ${problems[0]}`}\n`);
  return { valid, problems, runs };
}
