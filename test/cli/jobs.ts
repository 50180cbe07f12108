import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A shell job that runs a snippet of JavaScript with this Node. */
export const node = (code: string) => ({ command: process.execPath, args: ['-e', code] });

/**
 * A job that ignores SIGTERM (only SIGKILL ends it), writes its pid to `pidFile` and prints
 * "ready"; the line tells a test that the process to check for later exists.
 */
export const trapsSigterm = (pidFile: string) =>
  node(
    `process.on('SIGTERM', () => {}); require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); console.log('ready'); setInterval(() => {}, 1000)`,
  );

/** Whether a process with the pid written in `pidFile` still exists. */
export function stillRunning(pidFile: string): boolean {
  if (!existsSync(pidFile)) return false;
  try {
    process.kill(Number(readFileSync(pidFile, 'utf8')), 0);
    return true;
  } catch {
    return false;
  }
}

export async function planFile(dir: string, name: string, plan: unknown): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, JSON.stringify(plan, null, 2));
  return file;
}
