/**
 * A worker process of `bench/bullmq.ts`: `plan` runs a no-op handler through `createWorker`,
 * `raw` a no-op processor through BullMQ's own `Worker` (the anchor). Prints "ready" once it takes
 * jobs, and closes on SIGTERM.
 * `npx tsx bench/bullmq-worker.ts <plan|raw> <redis-url> <queue> <concurrency>`
 */
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { createWorker } from '../src/remote/worker.js';

const [mode, url, queue, concurrencyText] = process.argv.slice(2);
const concurrency = Number(concurrencyText);

let close: () => Promise<unknown>;
if (mode === 'plan') {
  const worker = await createWorker({
    connection: url!,
    queue: queue!,
    concurrency,
    handlers: { noop: async () => null },
  });
  close = () => worker.close(0);
} else {
  const connection = new Redis(url!, { maxRetriesPerRequest: null });
  const worker = new Worker(queue!, async () => null, { connection, concurrency });
  await worker.waitUntilReady();
  close = async () => {
    await worker.close();
    connection.disconnect();
  };
}
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  close().then(() => process.exit(0));
});
