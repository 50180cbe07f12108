import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '..', '..');
const entry = join(root, 'src', 'cli', 'main.ts');
// Absolute, so the command also runs from folders outside the project.
const tsx = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The command line that runs the plan-orchestrator command with `args`, from the sources. */
export function cliArgv(args: readonly string[]): string[] {
  return [process.execPath, '--import', tsx, entry, ...args];
}

/** Runs the plan-orchestrator command in a child process, as a user would. */
export function cli(
  args: string[],
  options: {
    cwd?: string;
    /** The command's environment. Default: this process's. */
    env?: NodeJS.ProcessEnv;
    /** Called once the command's process is started. */
    onStart?: (child: ChildProcess) => void;
    onLine?: (line: string, child: ChildProcess) => void;
    /** Called with everything written to stderr so far, after each write. */
    onStderr?: (stderr: string, child: ChildProcess) => void;
  } = {},
) {
  const [node, ...argv] = cliArgv(args);
  const child = spawn(node!, argv, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  options.onStart?.(child);
  let stdout = '';
  let stderr = '';
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk;
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) options.onLine?.(line, child);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk;
    options.onStderr?.(stderr, child);
  });
  return new Promise<CliResult>((resolve) => {
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
