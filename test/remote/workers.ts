import type { ChildProcess } from 'node:child_process';
import { cli } from '../cli/run-cli.js';

/** A `plan-orchestrator worker` process, and the lines it printed so far. */
export interface WorkerProcess {
  readonly name: string;
  readonly lines: string[];
  readonly child: Promise<ChildProcess>;
  readonly exited: ReturnType<typeof cli>;
  /** Resolves once a line printed on stdout or stderr matches. */
  line(pattern: RegExp): Promise<string>;
  /** Resolves once `times` printed lines match. */
  linesMatching(pattern: RegExp, times: number): Promise<void>;
}

/** Starts a worker on `queue` and resolves once it says it is ready. */
export async function startWorker(
  url: string,
  queue: string,
  name: string,
  extra: string[] = [],
): Promise<WorkerProcess> {
  const lines: string[] = [];
  /** Each waiter is resolved once `times` lines matched its pattern. */
  const waiters: { pattern: RegExp; times: number; resolve: (line: string) => void }[] = [];
  let setChild!: (child: ChildProcess) => void;
  const child = new Promise<ChildProcess>((resolve) => {
    setChild = resolve;
  });
  const seen = (line: string) => {
    lines.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.pattern.test(line) && --waiter.times === 0) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  };
  let stderrLines = 0;
  const exited = cli(['worker', '--redis', url, '--queue', queue, '--name', name, ...extra], {
    onLine: (line, process) => {
      setChild(process);
      seen(line);
    },
    onStderr: (stderr) => {
      const complete = stderr.split('\n').slice(0, -1);
      for (const line of complete.slice(stderrLines)) seen(line);
      stderrLines = complete.length;
    },
  });
  const worker: WorkerProcess = {
    name,
    lines,
    child,
    exited,
    line: (pattern) => {
      const seen = lines.find((line) => pattern.test(line));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ pattern, times: 1, resolve }));
    },
    linesMatching: (pattern, times) => {
      const left = times - lines.filter((line) => pattern.test(line)).length;
      if (left <= 0) return Promise.resolve();
      return new Promise((resolve) =>
        waiters.push({ pattern, times: left, resolve: () => resolve() }),
      );
    },
  };
  await Promise.race([
    worker.line(/ready on queue/),
    exited.then((result) => {
      throw new Error(`worker ${name} exited early (${result.code}): ${result.stderr}`);
    }),
  ]);
  return worker;
}
