/**
 * The floor for any Node process that runs shell jobs: a bare loop that spawns `command` (default
 * `true`) `jobs` times, `maxParallel` at once, with stdout and stderr piped and read, and waits
 * for each child's 'close'. No plan, no records, no view. Prints one JSON line: wall seconds and
 * this process's own CPU (user + system) in µs per job.
 *
 *   node bench/spawn-floor.mjs [jobs=3000] [maxParallel=8] [detached=0]
 *
 * Plain JavaScript, so that no loader's start-up or memory is counted.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

const jobs = Number(process.argv[2] ?? 3000);
const maxParallel = Number(process.argv[3] ?? 8);
const detached = process.argv[4] === '1';

const cpuBefore = process.cpuUsage();
const started = performance.now();
let launched = 0;
let closed = 0;
await new Promise((allDone) => {
  const launch = () => {
    launched++;
    const child = spawn('true', [], { stdio: ['ignore', 'pipe', 'pipe'], detached });
    child.stdout.on('data', () => {});
    child.stderr.on('data', () => {});
    child.on('close', (code) => {
      if (code !== 0) throw new Error(`true exited with ${code}`);
      closed++;
      if (launched < jobs) launch();
      else if (closed === jobs) allDone();
    });
  };
  for (let i = 0; i < Math.min(maxParallel, jobs); i++) launch();
});
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
console.log(
  JSON.stringify({
    jobs,
    maxParallel,
    detached,
    seconds,
    jobsPerSecond: Math.round(jobs / seconds),
    cpuUsPerJob: Math.round((cpu.user + cpu.system) / jobs),
  }),
);
