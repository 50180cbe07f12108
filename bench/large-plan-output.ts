/**
 * What showing a large plan costs: runs `plan-orchestrator run` on a plan of N independent
 * `true` jobs with each reporter, counts the bytes the command writes to stdout and times it.
 *
 *   npx tsx bench/large-plan-output.ts [jobs=5000] [maxParallel=16] [entry=src/cli/main.ts]
 *
 * stdout is a pipe here, so the pretty view assumes a terminal of 24 rows and 80 columns.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { writeTruePlan } from './true-plan.js';

const root = join(import.meta.dirname, '..');
const jobs = Number(process.argv[2] ?? 5000);
const maxParallel = Number(process.argv[3] ?? 16);
const entry = resolve(process.argv[4] ?? join(root, 'src', 'cli', 'main.ts'));
const tsx = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

async function measure(file: string, reporter: string) {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    ['--import', tsx, entry, 'run', file, '--reporter', reporter],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let bytes = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  const code = await new Promise<number | null>((done) => child.on('close', done));
  return { reporter, code, bytes, seconds: (performance.now() - started) / 1000 };
}

const dir = await mkdtemp(join(tmpdir(), 'bench-output-'));
try {
  const file = await writeTruePlan(dir, jobs, maxParallel);
  console.log(`${jobs} jobs of \`true\`, maxParallel ${maxParallel}, ${entry}`);
  console.log('| reporter | exit | bytes written | MB | seconds |');
  console.log('|---|---|---|---|---|');
  for (const reporter of ['plain', 'pretty']) {
    const r = await measure(file, reporter);
    console.log(
      `| ${r.reporter} | ${r.code} | ${r.bytes} | ${(r.bytes / 1e6).toFixed(2)} | ${r.seconds.toFixed(1)} |`,
    );
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
