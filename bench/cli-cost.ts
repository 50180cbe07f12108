/**
 * The command line's own cost per job, on plans of N independent `true` jobs (maxParallel 8 by
 * default), each cell a fresh process, the cells of one round interleaved:
 *
 * - `xargs sh`: `xargs -P <maxParallel> -I{} sh -c {}` on N lines `true` (a shell per command);
 * - `xargs`: `xargs -P <maxParallel> -n 1 true` (the command itself, as a plan's job runs it);
 * - `floor`: `spawn-floor.mjs`, a bare Node loop spawning `true` with piped output, no plan;
 * - for each entry (a built `dist/src/cli/main.js`, e.g. this tree's and a copy of main's):
 *   `plan-orchestrator run plan.json` with the defaults of a run in CI (stdout not a terminal:
 *   the plain reporter), with `--state-dir` (a fresh folder) and without.
 *
 * Reports jobs per second (best of the rounds) and, for the Node cells, the CPU time of the
 * command's own process per job (least of the rounds), with that of its job launcher beside it.
 * Wrap it in `flock /work/bench.lock` on a shared machine.
 *
 *   npx tsx bench/cli-cost.ts --jobs 1000,5000,20000 --rounds 2 [--max-parallel 8] \
 *     --entry new=dist/src/cli/main.js --entry base=../base/dist/src/cli/main.js
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { writeTruePlan } from './true-plan.js';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '1000,5000' },
    rounds: { type: 'string', default: '2' },
    'max-parallel': { type: 'string', default: '8' },
    entry: { type: 'string', multiple: true, default: ['new=dist/src/cli/main.js'] },
  },
});
const sizes = values.jobs.split(',').map(Number);
const rounds = Number(values.rounds);
const maxParallel = Number(values['max-parallel']);
const entries = values.entry.map((spec) => {
  const [name, path] = spec.split('=') as [string, string];
  return { name, path: resolve(path) };
});
const cpuAtExit = join(import.meta.dirname, 'cpu-at-exit.mjs');

interface Measure {
  seconds: number;
  /** The command's own process, µs per job; undefined where not measured (xargs). */
  cpuUs?: number;
  launcherCpuUs?: number;
}

async function timed(
  command: string,
  args: string[],
  options: { stdin?: string; cpuFile?: string } = {},
): Promise<Measure> {
  const started = performance.now();
  const child = spawn(command, args, {
    stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'ignore', 'inherit'],
    env: options.cpuFile ? { ...process.env, CPU_REPORT_FILE: options.cpuFile } : process.env,
  });
  if (options.stdin !== undefined) child.stdin?.end(options.stdin);
  const code = await new Promise<number | null>((done) => child.on('close', done));
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}`);
  if (!options.cpuFile) return { seconds };
  const cpu = JSON.parse(await readFile(options.cpuFile, 'utf8')) as {
    cpuUs: number;
    childrenCpuUs: number;
  };
  return { seconds, cpuUs: cpu.cpuUs, launcherCpuUs: cpu.childrenCpuUs };
}

type Cell = (dir: string, jobs: number, file: string) => Promise<Measure>;

const cells: Array<[string, Cell]> = [
  [
    'xargs sh',
    (_dir, jobs) =>
      timed('xargs', ['-P', String(maxParallel), '-I{}', 'sh', '-c', '{}'], {
        stdin: 'true\n'.repeat(jobs),
      }),
  ],
  [
    'xargs',
    (_dir, jobs) =>
      timed('xargs', ['-P', String(maxParallel), '-n', '1', 'true'], { stdin: 'x\n'.repeat(jobs) }),
  ],
  [
    'floor',
    async (_dir, jobs) => {
      const started = performance.now();
      const child = spawn(
        process.execPath,
        [join(import.meta.dirname, 'spawn-floor.mjs'), String(jobs), String(maxParallel)],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let out = '';
      child.stdout.on('data', (chunk) => {
        out += chunk;
      });
      await new Promise((done) => child.on('close', done));
      const result = JSON.parse(out) as { cpuUsPerJob: number };
      return { seconds: (performance.now() - started) / 1000, cpuUs: result.cpuUsPerJob * jobs };
    },
  ],
  ...entries.flatMap(
    ({ name, path }): Array<[string, Cell]> => [
      [
        `${name} --state-dir`,
        (dir, _jobs, file) =>
          timed(
            process.execPath,
            ['--import', cpuAtExit, path, 'run', file, '--state-dir', join(dir, `state-${name}`)],
            { cpuFile: join(dir, 'cpu.json') },
          ),
      ],
      [
        name,
        (dir, _jobs, file) =>
          timed(process.execPath, ['--import', cpuAtExit, path, 'run', file], {
            cpuFile: join(dir, 'cpu.json'),
          }),
      ],
    ],
  ),
];

const results = new Map<string, Measure[]>();
for (const jobs of sizes) {
  for (let round = 0; round < rounds; round++) {
    for (const [name, cell] of cells) {
      const dir = await mkdtemp(join(tmpdir(), 'bench-cli-cost-'));
      try {
        const file = await writeTruePlan(dir, jobs, maxParallel);
        const measure = await cell(dir, jobs, file);
        const key = `${jobs}\t${name}`;
        results.set(key, [...(results.get(key) ?? []), measure]);
        console.error(
          `${jobs} ${name}: ${(jobs / measure.seconds).toFixed(0)} jobs/s` +
            (measure.cpuUs === undefined
              ? ''
              : `, ${(measure.cpuUs / jobs).toFixed(0)} µs CPU per job` +
                (measure.launcherCpuUs
                  ? ` + launcher ${(measure.launcherCpuUs / jobs).toFixed(0)}`
                  : '')),
        );
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  }
}

const least = (values: number[]) => Math.min(...values);
console.log(
  `| jobs | cell | jobs/s (best of ${rounds}) | time / xargs sh | time / xargs | CPU µs per job of the command (least) | its launcher |`,
);
console.log('|---|---|---|---|---|---|---|');
for (const jobs of sizes) {
  const best = (name: string) => least(results.get(`${jobs}\t${name}`)!.map((m) => m.seconds));
  for (const [name] of cells) {
    const measures = results.get(`${jobs}\t${name}`)!;
    const seconds = best(name);
    const cpu = measures.every((m) => m.cpuUs !== undefined)
      ? (least(measures.map((m) => m.cpuUs!)) / jobs).toFixed(0)
      : '';
    const launcher = measures.some((m) => m.launcherCpuUs)
      ? (least(measures.map((m) => m.launcherCpuUs ?? 0)) / jobs).toFixed(0)
      : '';
    console.log(
      `| ${jobs} | ${name} | ${(jobs / seconds).toFixed(0)} | ${(seconds / best('xargs sh')).toFixed(2)} | ${(seconds / best('xargs')).toFixed(2)} | ${cpu} | ${launcher} |`,
    );
  }
}
