/**
 * The command line's own cost per job: runs `plan-orchestrator run --reporter plain` on a plan of
 * N independent `true` jobs and the same N commands through `xargs -P <maxParallel>`, and prints
 * jobs per second for each.
 *
 *   npx tsx bench/cli-cost.ts [jobs=2000] [maxParallel=8] [reporter=plain]
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { writeTruePlan } from './true-plan.js';

const root = join(import.meta.dirname, '..');
const jobs = Number(process.argv[2] ?? 2000);
const maxParallel = Number(process.argv[3] ?? 8);
const reporter = process.argv[4] ?? 'plain';
const tsx = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

async function timed(command: string, args: string[], stdin?: string): Promise<number> {
  const started = performance.now();
  const child = spawn(command, args, {
    stdio: [stdin === undefined ? 'ignore' : 'pipe', 'ignore', 'inherit'],
  });
  if (stdin !== undefined) child.stdin?.end(stdin);
  const code = await new Promise<number | null>((done) => child.on('close', done));
  if (code !== 0) throw new Error(`${command} exited with ${code}`);
  return (performance.now() - started) / 1000;
}

const dir = await mkdtemp(join(tmpdir(), 'bench-cli-cost-'));
try {
  const file = await writeTruePlan(dir, jobs, maxParallel);
  const cli = await timed(process.execPath, [
    '--import',
    tsx,
    join(root, 'src', 'cli', 'main.ts'),
    'run',
    file,
    '--reporter',
    reporter,
  ]);
  const lines = `${Array.from({ length: jobs }, () => 'true').join('\n')}\n`;
  const xargs = await timed('xargs', ['-P', String(maxParallel), '-I{}', 'sh', '-c', '{}'], lines);
  console.log(
    `${jobs} jobs, maxParallel ${maxParallel}, --reporter ${reporter}: ` +
      `cli ${cli.toFixed(1)} s (${Math.round(jobs / cli)} jobs/s), ` +
      `xargs -P ${maxParallel} ${xargs.toFixed(1)} s (${Math.round(jobs / xargs)} jobs/s), ` +
      `ratio ${(cli / xargs).toFixed(2)}`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
