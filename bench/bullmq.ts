/**
 * Attempts on BullMQ workers: N no-op jobs and one job depending on all of them (a fan-in, the
 * shape BullMQ's `FlowProducer` runs as a parent and its children), run
 * - by this library with every attempt on the queue (`queuedPlan`, `createWorker` processes),
 * - by BullMQ's own `FlowProducer` and `Worker` processes (the anchor: BullMQ's cost per job),
 * - by this library locally (no queue), for scale;
 * with 1, 2 and 4 worker processes, against a redis-server started here (no persistence: the
 * queue's cost, not the disk's). Reports µs per job (wall time / jobs) and the speed-up over one
 * worker, and the CPU time per job of each process: the coordinator, the workers together (from
 * `/proc/<pid>/stat`) and redis-server (`INFO cpu`). Writes bench/results/bullmq.{md,json}.
 * `npx tsx bench/bullmq.ts [--jobs N] [--concurrency C] [--repeats R] [--workers 1,2,4]
 *  [--max-parallel N] [--only-plan] [--worker-prof DIR] [--commands]`: with `--worker-prof` each worker process writes a CPU profile
 * there; with `--commands` each run prints the Redis commands it sent per job.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { FlowProducer, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { createAttemptQueue } from '../src/remote/attempt-queue.js';
import { queuedPlan } from '../src/remote/queued-plan.js';
import { createOrchestrator } from '../src/runtime/orchestrator.js';
import { startRedisServer } from '../test/support/redis-server.js';

const flag = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const JOBS = flag('--jobs', 10_000);
/** Attempts each worker process runs at once. */
const CONCURRENCY = flag('--concurrency', 50);
const REPEATS = flag('--repeats', 3);
/** `--workers 1,2,4`: the worker process counts to run. */
const WORKER_COUNTS = (() => {
  const i = process.argv.indexOf('--workers');
  return i >= 0 ? process.argv[i + 1]!.split(',').map(Number) : [1, 2, 4];
})();
/** `--worker-prof DIR`: the worker processes write CPU profiles there (`node --cpu-prof`). */
const WORKER_PROF = (() => {
  const i = process.argv.indexOf('--worker-prof');
  return i >= 0 ? process.argv[i + 1]! : undefined;
})();
/**
 * `--max-parallel N`: the plan's jobs in flight at once. Default: every job, so the whole fan-in
 * is in the queue at once, as `FlowProducer` puts it there (the same DAG on both sides). A smaller
 * window (512, say) shows what a plan that holds jobs back pays: its queue can run dry.
 */
const MAX_PARALLEL = flag('--max-parallel', JOBS + 1);
/** `--only-plan`: run only this library on the queue (profiles, quick comparisons). */
const ONLY_PLAN = process.argv.includes('--only-plan');

const redis = await startRedisServer({ durable: false });
/** Reads redis-server's CPU time (`INFO cpu`) around each run. */
const infoClient = new Redis(redis.url);
let queueNumber = 0;

async function startWorkers(mode: 'plan' | 'raw', queue: string, count: number) {
  const script = join(import.meta.dirname, 'bullmq-worker.ts');
  const children: ChildProcess[] = [];
  await Promise.all(
    Array.from({ length: count }, () => {
      const child = spawn(
        process.execPath,
        [
          ...(WORKER_PROF ? ['--cpu-prof', '--cpu-prof-dir', WORKER_PROF] : []),
          '--import',
          'tsx',
          script,
          mode,
          redis.url,
          queue,
          String(CONCURRENCY),
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      children.push(child);
      return new Promise<void>((resolve, reject) => {
        createInterface({ input: child.stdout! }).once('line', () => resolve());
        child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
      });
    }),
  );
  const pids = children.map((child) => child.pid!);
  const stop = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise((resolve) => {
            child.removeAllListeners('exit');
            child.once('exit', resolve);
            child.kill('SIGTERM');
          }),
      ),
    );
  };
  return { stop, pids };
}

/** CPU time (user + system) of a process of this machine so far, µs, from `/proc/<pid>/stat`. */
async function processCpu(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The fields after the command's name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
  return (ticks * 1_000_000) / CLOCK_TICKS;
}
/** The kernel's clock ticks per second (`getconf CLK_TCK`): 100 on Linux. */
const CLOCK_TICKS = 100;

/** redis-server's CPU time so far, µs (`INFO cpu`). */
async function redisCpu(client: Redis): Promise<number> {
  const info = await client.info('cpu');
  const seconds = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1_000_000;
}

/** Calls so far of each Redis command (`INFO commandstats`). */
async function redisCalls(client: Redis): Promise<Map<string, number>> {
  const info = await client.info('commandstats');
  const calls = new Map<string, number>();
  for (const [, command, count] of info.matchAll(/cmdstat_([\w|]+):calls=(\d+)/g)) {
    calls.set(command!, Number(count));
  }
  return calls;
}
/** `--commands`: print the Redis commands each run sent per job. */
const SHOW_COMMANDS = process.argv.includes('--commands');

/** CPU time per job of each process of one run, µs. */
interface CpuShare {
  coordinator: number;
  workers: number;
  redis: number;
}

/** Measures the CPU time each process spends while `run` runs: the coordinator (this process), the workers, Redis. */
async function cpuDuring(workerPids: number[], run: () => Promise<void>): Promise<CpuShare> {
  const workersCpu = async () =>
    (await Promise.all(workerPids.map(processCpu))).reduce((a, b) => a + b, 0);
  const calls0 = SHOW_COMMANDS ? await redisCalls(infoClient) : undefined;
  const [workers0, redis0] = await Promise.all([workersCpu(), redisCpu(infoClient)]);
  const own = process.cpuUsage();
  await run();
  const used = process.cpuUsage(own);
  const [workers1, redis1] = await Promise.all([workersCpu(), redisCpu(infoClient)]);
  const perJob = (us: number) => us / (JOBS + 1);
  if (calls0) {
    const calls1 = await redisCalls(infoClient);
    const each = [...calls1]
      .map(([command, n]) => [command, perJob(n - (calls0.get(command) ?? 0))] as const)
      .filter(([, n]) => n >= 0.01)
      .sort((a, b) => b[1] - a[1]);
    const total = each.reduce((sum, [, n]) => sum + n, 0);
    process.stderr.write(
      `Redis commands per job: ${total.toFixed(2)} (${each.map(([c, n]) => `${c} ${n.toFixed(2)}`).join(', ')})\n`,
    );
  }
  return {
    coordinator: perJob(used.user + used.system),
    workers: perJob(workers1 - workers0),
    redis: perJob(redis1 - redis0),
  };
}

function fanIn(run: (id: string) => object) {
  const ids = Array.from({ length: JOBS }, (_, i) => `j${i}`);
  return {
    id: `fan-in-${queueNumber}`,
    maxParallel: MAX_PARALLEL,
    jobs: [
      ...ids.map((id) => ({ id, ...run(id) })),
      { id: 'done', dependsOn: ids, ...run('done') },
    ],
  };
}

/** One run of a cell: µs per job (wall time / jobs) and each process's CPU time per job. */
interface Run {
  us: number;
  cpu: CpuShare;
}

/** This library with its attempts on `workers` worker processes. */
async function planOnQueue(workers: number): Promise<Run> {
  const queue = `plan-${++queueNumber}`;
  const { stop, pids } = await startWorkers('plan', queue, workers);
  const attempts = await createAttemptQueue({ connection: redis.url, queue });
  try {
    const plan = queuedPlan(fanIn(() => ({ handler: 'noop' })) as never, attempts);
    let elapsed = 0;
    const cpu = await cpuDuring(pids, async () => {
      const started = performance.now();
      const view = await createOrchestrator(plan).start().whenSettled();
      elapsed = performance.now() - started;
      if (view.status !== 'completed') throw new Error(`plan ended ${view.status}`);
    });
    return { us: (elapsed * 1000) / (JOBS + 1), cpu };
  } finally {
    await attempts.close();
    await stop();
  }
}

/** BullMQ's own FlowProducer and Worker processes, the same fan-in. */
async function bullFlow(workers: number): Promise<Run> {
  const queueName = `flow-${++queueNumber}`;
  const { stop, pids } = await startWorkers('raw', queueName, workers);
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  const flows = new FlowProducer({ connection });
  // BullMQ closes no connection it was given: both are disconnected below.
  const eventsConnection = connection.duplicate();
  const events = new QueueEvents(queueName, { connection: eventsConnection });
  await events.waitUntilReady();
  try {
    let elapsed = 0;
    const cpu = await cpuDuring(pids, async () => {
      const started = performance.now();
      const tree = await flows.add({
        name: 'done',
        queueName,
        children: Array.from({ length: JOBS }, (_, i) => ({ name: `j${i}`, queueName })),
      });
      await tree.job.waitUntilFinished(events);
      elapsed = performance.now() - started;
    });
    return { us: (elapsed * 1000) / (JOBS + 1), cpu };
  } finally {
    await events.close();
    await flows.close();
    eventsConnection.disconnect();
    connection.disconnect();
    await stop();
  }
}

/** µs per job of this library running the same plan's no-op jobs in this process. */
async function local(): Promise<number> {
  queueNumber++;
  const plan = fanIn(() => ({ run: async () => null }));
  const started = performance.now();
  const view = await createOrchestrator(plan as never)
    .start()
    .whenSettled();
  if (view.status !== 'completed') throw new Error(`plan ended ${view.status}`);
  return ((performance.now() - started) * 1000) / (JOBS + 1);
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
async function repeated(cell: () => Promise<number>): Promise<number> {
  const runs: number[] = [];
  for (let i = 0; i < REPEATS; i++) runs.push(await cell());
  return median(runs);
}
/** The median of each figure over `REPEATS` runs. */
async function repeatedRuns(cell: () => Promise<Run>): Promise<Run> {
  const runs: Run[] = [];
  for (let i = 0; i < REPEATS; i++) runs.push(await cell());
  const of = (pick: (run: Run) => number) => median(runs.map(pick));
  return {
    us: of((r) => r.us),
    cpu: {
      coordinator: of((r) => r.cpu.coordinator),
      workers: of((r) => r.cpu.workers),
      redis: of((r) => r.cpu.redis),
    },
  };
}

try {
  const rows: { workers: number; plan: Run; flow: Run }[] = [];
  const fmt = (n: number) => n.toFixed(0);
  const cpuText = ({ cpu }: Run) =>
    `${fmt(cpu.coordinator)} / ${fmt(cpu.workers)} / ${fmt(cpu.redis)}`;
  for (const workers of WORKER_COUNTS) {
    // One after the other, so that both see the same load of the shared machine.
    const plan = await repeatedRuns(() => planOnQueue(workers));
    if (ONLY_PLAN) {
      process.stdout.write(
        `${workers} worker(s): plan ${fmt(plan.us)} µs/job (CPU coordinator/workers/redis ${cpuText(plan)})\n`,
      );
      continue;
    }
    const flow = await repeatedRuns(() => bullFlow(workers));
    rows.push({ workers, plan, flow });
    process.stdout.write(
      `${workers} worker(s): plan ${fmt(plan.us)} µs/job (CPU coordinator/workers/redis ${cpuText(plan)}), FlowProducer ${fmt(flow.us)} µs/job (${cpuText(flow)}), ratio ${(plan.us / flow.us).toFixed(2)}×\n`,
    );
  }
  if (ONLY_PLAN) {
    infoClient.disconnect();
    await redis.stop();
    process.exit(0);
  }
  const localUs = await repeated(local);
  const lines = [
    `# Attempts on BullMQ workers (${JOBS.toLocaleString('en')} no-op jobs + 1 fan-in, maxParallel ${MAX_PARALLEL.toLocaleString('en')}, ${CONCURRENCY} at once per worker process, median of ${REPEATS})`,
    '',
    'CPU time per job, µs, of the coordinator (the plan, or the `FlowProducer` and its events) / the worker processes together / redis-server.',
    '',
    '| worker processes | this library, µs/job | speed-up | its CPU, µs/job | BullMQ FlowProducer, µs/job | speed-up | its CPU, µs/job | ratio |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (row) =>
        `| ${row.workers} | ${fmt(row.plan.us)} | ${(rows[0]!.plan.us / row.plan.us).toFixed(2)}× | ${cpuText(row.plan)} | ${fmt(row.flow.us)} | ${(rows[0]!.flow.us / row.flow.us).toFixed(2)}× | ${cpuText(row.flow)} | ${(row.plan.us / row.flow.us).toFixed(2)}× |`,
    ),
    '',
    `Local runner (no queue, same plan): ${fmt(localUs)} µs/job.`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const dir = join(import.meta.dirname, 'results');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'bullmq.md'), lines.join('\n'));
  await writeFile(
    join(dir, 'bullmq.json'),
    `${JSON.stringify(
      { jobs: JOBS, concurrency: CONCURRENCY, repeats: REPEATS, rows, local: localUs },
      null,
      2,
    )}\n`,
  );
} finally {
  infoClient.disconnect();
  await redis.stop();
}
