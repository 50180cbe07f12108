/**
 * The Redis store beside the FileStore, each cell in a fresh process, against a redis-server
 * started here (`appendonly yes`, `appendfsync always`: the setting that keeps the FileStore's
 * promise) on a free loopback port, stopped at the end. Writes bench/results/redis.{md,json}.
 * `npx tsx bench/redis.ts [--quick]` (quick: 10,000 jobs, restore after 10,000 finished).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { startRedisServer } from '../test/support/redis-server.js';
import { type CellResult, type Repeated, repeatInFreshProcesses } from './fresh-process.js';

const quick = process.argv.includes('--quick');
const CELL_TIMEOUT_MS = 600_000;
const REPEATS = 3;
const TAIL_RECORDS = 9_000;
const sizes = quick ? [10_000] : [10_000, 100_000];

const redis = await startRedisServer();
const repeat = (times: number, script: string, args: (string | number)[]) =>
  repeatInFreshProcesses(times, script, args, CELL_TIMEOUT_MS);

try {
  const store: { n: number; mode: string; cells: Repeated }[] = [];
  for (const n of sizes) {
    const times = n > 10_000 ? 1 : REPEATS;
    store.push({ n, mode: 'file', cells: await repeat(times, 'store-cell.ts', [n, 'file']) });
    store.push({
      n,
      mode: 'redis',
      cells: await repeat(times, 'redis-cell.ts', [redis.url, 'run', n]),
    });
  }
  const n = 100_000;
  const stopAt = 10_000;
  const prepared = await repeat(1, 'redis-cell.ts', [
    redis.url,
    'prepare',
    n,
    stopAt,
    TAIL_RECORDS,
  ]);
  const resume = prepared.valid
    ? await repeat(quick ? 1 : REPEATS, 'redis-cell.ts', [redis.url, 'resume', n, stopAt])
    : prepared;

  const results = {
    node: process.version,
    cpu: `${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores)`,
    quick,
    redis: 'redis-server, appendonly yes, appendfsync always, loopback',
    store,
    restore: { n, stopAt, prepared, resume },
  };
  const out = join(import.meta.dirname, 'results');
  await mkdir(out, { recursive: true });
  await writeFile(join(out, 'redis.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(out, 'redis.md'), report(results));
  process.stdout.write(report(results));
} finally {
  await redis.stop();
}

function median(runs: CellResult[], key: string): number {
  const values = runs.map((run) => Number(run[key])).sort((a, b) => a - b);
  return values[Math.floor(values.length / 2)] ?? Number.NaN;
}

function report(results: {
  node: string;
  cpu: string;
  redis: string;
  store: { n: number; mode: string; cells: Repeated }[];
  restore: { n: number; stopAt: number; prepared: Repeated; resume: Repeated };
}): string {
  const round = (value: number) => Math.round(value).toLocaleString('en-US');
  const rows = results.store.map(({ n, mode, cells }) =>
    cells.valid
      ? `| ${round(n)} | ${mode === 'file' ? 'FileStore' : 'RedisStore'} | ${round(median(cells.runs, 'usPerJob'))} | ${round(median(cells.runs, 'recordsPerSecond'))} | ${round(median(cells.runs, 'records'))} | ${round(median(cells.runs, 'flushes'))} |`
      : `| ${round(n)} | ${mode} | invalid: ${cells.problems[0]} | | | |`,
  );
  const { restore } = results;
  const prepared = restore.prepared.runs[0];
  const resumeRow = restore.resume.valid
    ? `| ${round(restore.n)} | ${round(restore.stopAt)} | ${round(Number(prepared?.records))} (snapshot at ${round(Number(prepared?.snapshotSeq))}) | ${round(median(restore.resume.runs, 'resumeMs'))} ms |`
    : `| ${round(restore.n)} | ${round(restore.stopAt)} | invalid: ${restore.resume.problems[0]} | |`;
  return [
    `${results.node}, ${results.cpu}; ${results.redis}. Each cell runs in a fresh process; timings are the median of the runs.`,
    '',
    '### Store: wide plan of no-op jobs, maxParallel 8 (group commit; fsync per flush)',
    '',
    '| jobs | store | µs/job | records/s written | records | flushes |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    '### Resume: `resumeOrchestrator` of a stopped plan kept in Redis (snapshot + tail)',
    '',
    '| jobs | finished before the stop | records | resumeOrchestrator |',
    '|---|---|---|---|',
    resumeRow,
    '',
  ].join('\n');
}
