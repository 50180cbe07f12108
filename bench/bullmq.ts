/**
 * Attempts on BullMQ workers: N no-op jobs and one job depending on all of them (a fan-in, the
 * shape BullMQ's `FlowProducer` runs as a parent and its children), run
 * - by this library with every attempt on the queue (`queuedPlan`, `createWorker` processes),
 * - by BullMQ's own `FlowProducer` and `Worker` processes (the anchor: BullMQ's cost per job),
 * - by this library locally (no queue), for scale;
 * with 1, 2 and 4 worker processes, against a redis-server started here (no persistence: the
 * queue's cost, not the disk's). Reports µs per job (wall time / jobs) and the speed-up over one
 * worker, and the coordinator's own CPU time per job. Writes bench/results/bullmq.{md,json}.
 * `npx tsx bench/bullmq.ts [--jobs N] [--concurrency C] [--repeats R]`
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
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
const WORKER_COUNTS = [1, 2, 4];
/** The plan's jobs in flight at once: enough to keep every worker busy. */
const MAX_PARALLEL = 512;

const redis = await startRedisServer({ durable: false });
let queueNumber = 0;

async function startWorkers(mode: 'plan' | 'raw', queue: string, count: number) {
  const script = join(import.meta.dirname, 'bullmq-worker.ts');
  const children: ChildProcess[] = [];
  await Promise.all(
    Array.from({ length: count }, () => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', script, mode, redis.url, queue, String(CONCURRENCY)],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      children.push(child);
      return new Promise<void>((resolve, reject) => {
        createInterface({ input: child.stdout! }).once('line', () => resolve());
        child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
      });
    }),
  );
  return async () => {
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

/** The coordinator's own CPU time per job of the last `planOnQueue`, µs (where its time goes). */
const coordinatorCpu: number[] = [];

/** µs per job of this library with its attempts on `workers` worker processes. */
async function planOnQueue(workers: number): Promise<number> {
  const queue = `plan-${++queueNumber}`;
  const stop = await startWorkers('plan', queue, workers);
  const attempts = await createAttemptQueue({ connection: redis.url, queue });
  try {
    const plan = queuedPlan(fanIn(() => ({ handler: 'noop' })) as never, attempts);
    const started = performance.now();
    const cpu = process.cpuUsage();
    const view = await createOrchestrator(plan).start().whenSettled();
    const elapsed = performance.now() - started;
    const used = process.cpuUsage(cpu);
    if (view.status !== 'completed') throw new Error(`plan ended ${view.status}`);
    coordinatorCpu.push((used.user + used.system) / (JOBS + 1));
    return (elapsed * 1000) / (JOBS + 1);
  } finally {
    await attempts.close();
    await stop();
  }
}

/** µs per job of BullMQ's own FlowProducer and Worker processes, the same fan-in. */
async function bullFlow(workers: number): Promise<number> {
  const queueName = `flow-${++queueNumber}`;
  const stop = await startWorkers('raw', queueName, workers);
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  const flows = new FlowProducer({ connection });
  // BullMQ closes no connection it was given: both are disconnected below.
  const eventsConnection = connection.duplicate();
  const events = new QueueEvents(queueName, { connection: eventsConnection });
  await events.waitUntilReady();
  try {
    const started = performance.now();
    const tree = await flows.add({
      name: 'done',
      queueName,
      children: Array.from({ length: JOBS }, (_, i) => ({ name: `j${i}`, queueName })),
    });
    await tree.job.waitUntilFinished(events);
    return ((performance.now() - started) * 1000) / (JOBS + 1);
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

try {
  const rows: { workers: number; plan: number; coordinatorCpu: number; flow: number }[] = [];
  for (const workers of WORKER_COUNTS) {
    // Interleaved, so that both see the same load of the shared machine.
    coordinatorCpu.length = 0;
    const plan = await repeated(() => planOnQueue(workers));
    const cpu = median(coordinatorCpu);
    const flow = await repeated(() => bullFlow(workers));
    rows.push({ workers, plan, coordinatorCpu: cpu, flow });
    process.stdout.write(
      `${workers} worker(s): plan ${plan.toFixed(0)} µs/job (coordinator CPU ${cpu.toFixed(0)}), FlowProducer ${flow.toFixed(0)} µs/job\n`,
    );
  }
  const localUs = await repeated(local);
  const fmt = (n: number) => n.toFixed(0);
  const lines = [
    `# Attempts on BullMQ workers (${JOBS.toLocaleString('en')} no-op jobs + 1 fan-in, ${CONCURRENCY} at once per worker process, median of ${REPEATS})`,
    '',
    '| worker processes | this library, µs/job | speed-up | coordinator CPU, µs/job | BullMQ FlowProducer, µs/job | speed-up | ratio |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(
      (row) =>
        `| ${row.workers} | ${fmt(row.plan)} | ${(rows[0]!.plan / row.plan).toFixed(2)}× | ${fmt(row.coordinatorCpu)} | ${fmt(row.flow)} | ${(rows[0]!.flow / row.flow).toFixed(2)}× | ${(row.plan / row.flow).toFixed(2)}× |`,
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
  await redis.stop();
}
