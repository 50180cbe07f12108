/**
 * Runs every benchmark cell, each in a fresh process, and writes bench/results/latest.{md,json},
 * then the store, restore, cancel and heap cells (durable.ts, bench/results/durable.{md,json}).
 * `npm run bench` (all sizes) or `npm run bench -- --quick` (1,000 and 10,000 jobs).
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { executors } from './executors.js';
import { WORKLOADS } from './workloads.js';

const run = promisify(execFile);
const quick = process.argv.includes('--quick');
const sizes = quick ? [1_000, 10_000] : [1_000, 10_000, 100_000];
const limits = ['8', 'unlimited'];
/** async.auto is far slower than the rest; past this size a cell would take minutes. */
const SLOW_LIMIT: Record<string, number> = { 'async.auto': 10_000 };
/** A cell that runs longer is stopped and reported as timed out. */
const CELL_TIMEOUT_MS = 180_000;

interface Cell {
  executor: string;
  workload: string;
  n: number;
  maxParallel: string;
  valid: boolean;
  timedOut?: boolean;
  problems: string[];
  usPerJob: number;
  peakHeapMB: number;
  latency: { p50: number; p99: number } | null;
}

async function runCell(
  executor: string,
  workloadName: string,
  n: number,
  maxParallel: string,
): Promise<Cell> {
  const args = [
    '--expose-gc',
    '--max-old-space-size=8192',
    '--import',
    'tsx',
    join(import.meta.dirname, 'cell.ts'),
    executor,
    workloadName,
    String(n),
    maxParallel,
  ];
  try {
    const { stdout } = await run(process.execPath, args, {
      maxBuffer: 1 << 20,
      timeout: CELL_TIMEOUT_MS,
      killSignal: 'SIGKILL',
    });
    return JSON.parse(stdout) as Cell;
  } catch (error) {
    const timedOut = (error as { killed?: boolean }).killed === true;
    const problem = timedOut ? `over ${CELL_TIMEOUT_MS / 1000} s` : String(error);
    return {
      executor,
      workload: workloadName,
      n,
      maxParallel,
      valid: false,
      timedOut,
      problems: [problem],
      usPerJob: Number.NaN,
      peakHeapMB: Number.NaN,
      latency: null,
    };
  }
}

const cells: Cell[] = [];
for (const n of sizes) {
  for (const workloadName of WORKLOADS) {
    for (const maxParallel of limits) {
      for (const executor of Object.keys(executors)) {
        if (n > (SLOW_LIMIT[executor] ?? Number.POSITIVE_INFINITY)) continue;
        const cell = await runCell(executor, workloadName, n, maxParallel);
        cells.push(cell);
        process.stderr.write(
          `${executor.padEnd(28)} ${workloadName.padEnd(8)} n=${String(n).padEnd(7)} mp=${maxParallel.padEnd(9)} ${cell.usPerJob.toFixed(2).padStart(9)} µs/job${cell.valid ? '' : `  INVALID: ${cell.problems.join('; ')}`}\n`,
        );
      }
    }
  }
}

const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(2));
/** A plan this library refuses at validation (diamond at 100,000 jobs has 1.6 M dependencies). */
const overPlanLimit = (cell: Cell) => cell.problems.some((p) => p.includes('the limit is'));
const names = Object.keys(executors);
const lines = [
  `Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores). µs per job (lower is better); async no-op jobs.`,
  '',
  `| workload | n | maxParallel | ${names.join(' | ')} |`,
  `|---|---|---|${names.map(() => '---').join('|')}|`,
];
for (const n of sizes) {
  for (const workloadName of WORKLOADS) {
    for (const maxParallel of limits) {
      const row = names.map((name) => {
        const cell = cells.find(
          (c) =>
            c.executor === name &&
            c.workload === workloadName &&
            c.n === n &&
            c.maxParallel === maxParallel,
        );
        if (!cell) return '—';
        if (cell.timedOut) return `> ${CELL_TIMEOUT_MS / 1000} s`;
        if (cell.valid) return fmt(cell.usPerJob);
        return overPlanLimit(cell) ? 'over a plan limit' : 'invalid';
      });
      lines.push(`| ${workloadName} | ${n} | ${maxParallel} | ${row.join(' | ')} |`);
    }
  }
}
lines.push(
  '',
  'Chain: completion → dependent-start latency in µs (p50 / p99), maxParallel 8.',
  '',
  `| n | ${names.join(' | ')} |`,
  `|---|${names.map(() => '---').join('|')}|`,
);
for (const n of sizes) {
  const row = names.map((name) => {
    const cell = cells.find(
      (c) => c.executor === name && c.workload === 'chain' && c.n === n && c.maxParallel === '8',
    );
    return cell?.latency ? `${fmt(cell.latency.p50)} / ${fmt(cell.latency.p99)}` : '—';
  });
  lines.push(`| ${n} | ${row.join(' | ')} |`);
}
lines.push(
  '',
  'Peak heap growth during a run in MB (n = largest size, maxParallel 8).',
  '',
  `| workload | ${names.join(' | ')} |`,
  `|---|${names.map(() => '---').join('|')}|`,
);
const largest = sizes.at(-1)!;
for (const workloadName of WORKLOADS) {
  const row = names.map((name) => {
    const cell = cells.find(
      (c) =>
        c.executor === name &&
        c.workload === workloadName &&
        c.n === largest &&
        c.maxParallel === '8',
    );
    return cell?.valid ? cell.peakHeapMB.toFixed(0) : '—';
  });
  lines.push(`| ${workloadName} | ${row.join(' | ')} |`);
}

const out = join(import.meta.dirname, 'results');
await mkdir(out, { recursive: true });
await writeFile(join(out, 'latest.md'), `${lines.join('\n')}\n`);
await writeFile(join(out, 'latest.json'), `${JSON.stringify(cells, null, 2)}\n`);
process.stdout.write(`${lines.join('\n')}\n`);

// The durable-state cells have their own runner and results file; it runs them after these.
const durable = spawnSync(
  process.execPath,
  ['--import', 'tsx', join(import.meta.dirname, 'durable.ts'), ...(quick ? ['--quick'] : [])],
  { stdio: 'inherit' },
);
if (durable.status !== 0) process.exitCode = 1;
