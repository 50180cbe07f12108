import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AttemptQueue,
  type AttemptWorker,
  createAttemptQueue,
  createOrchestrator,
  createWorker,
  type JobView,
  PlanValidationError,
  queuedPlan,
  type StampedRecord,
} from '../../src/index.js';
import { decodeFailure } from '../../src/remote/protocol.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';

let server: RedisServer;
let queue: AttemptQueue;
let worker: AttemptWorker;
beforeAll(async () => {
  server = await startRedisServer({ durable: false });
  queue = await createAttemptQueue({ connection: server.url, queue: 'images' });
  worker = await createWorker({
    connection: server.url,
    queue: 'images',
    name: 'resizer-1',
    handlers: {
      resize: async ({ input, report }) => {
        const { width } = input as { width: number };
        report({ step: 'decoded' });
        return { width: width / 2 };
      },
      reject: async () => {
        throw Object.assign(new Error('disk full'), { code: 'ENOSPC' });
      },
    },
  });
});
afterAll(async () => {
  await worker.close(0);
  await queue.close();
  await server.stop();
});

async function run(plan: Parameters<typeof queuedPlan>[0]) {
  const orchestrator = createOrchestrator(queuedPlan(plan, queue));
  const records: StampedRecord[] = [];
  orchestrator.events$.subscribe((record) => records.push(record));
  const view = await orchestrator.start().whenSettled();
  const jobs = Object.fromEntries(view.jobs.map((job) => [job.id, job]));
  return { view, jobs, records };
}

describe('queuedPlan with createWorker: jobs that name a handler run on workers', () => {
  it('runs the handler with the job input, its progress reaches events$ and its output the job', async () => {
    const { view, jobs, records } = await run({
      id: 'thumbs',
      jobs: [
        { id: 'small', handler: 'resize', input: { width: 800 } },
        { id: 'local', runsOn: 'local', dependsOn: ['small'], run: () => 'here' },
      ],
    });
    expect(view.status).toBe('completed');
    expect(jobs.small?.output).toEqual({ width: 400 });
    expect(jobs.small?.worker).toBe('resizer-1');
    expect(jobs.local?.worker).toBeUndefined();
    expect(jobs.local?.output).toBe('here');
    expect(records).toContainEqual(
      expect.objectContaining({
        type: 'job-progress',
        jobId: 'small',
        attemptId: 'small#1',
        progress: { step: 'decoded' },
      }),
    );
  });

  it("fails the attempt with the error's name, message and code as the worker saw it", async () => {
    const { view, jobs } = await run({ id: 'full', jobs: [{ id: 'write', handler: 'reject' }] });
    expect(view.status).toBe('failed');
    expect(jobs.write?.failure?.error).toMatchObject({ message: 'disk full', code: 'ENOSPC' });
  });

  it('fails an attempt whose handler the worker lacks with UNKNOWN_HANDLER, naming handler and worker, without retrying', async () => {
    const { view, jobs, records } = await run({
      id: 'unknown',
      jobs: [{ id: 'crop', handler: 'crop', retry: { maxAttempts: 3, initialDelayMs: 0 } }],
    });
    expect(view.status).toBe('failed');
    expect(jobs.crop?.failure?.error.code).toBe('UNKNOWN_HANDLER');
    expect(jobs.crop?.failure?.error.message).toMatch(/Worker "resizer-1".*no handler "crop"/);
    expect(records.filter((r) => r.type === 'attempt-started')).toHaveLength(1);
  });

  it('a worker of another protocol version refuses the attempt with WORKER_PROTOCOL, naming itself and both versions', async () => {
    const connection = new Redis(server.url, { maxRetriesPerRequest: null });
    const sender = new Queue('images', { connection });
    const events = new QueueEvents('images', { connection: connection.duplicate() });
    await events.waitUntilReady();
    const failed = new Promise<string>((resolve) => {
      events.on('failed', ({ jobId, failedReason }) => {
        if (jobId === 'future.resize#1') resolve(failedReason);
      });
    });
    await sender.add(
      'resize',
      {
        protocol: 99,
        planId: 'future',
        jobId: 'resize',
        attempt: 1,
        attemptId: 'resize#1',
        handler: 'resize',
        input: null,
      },
      { jobId: 'future.resize#1' },
    );
    const failure = decodeFailure(await failed);
    expect(failure?.retryable).toBe(false);
    expect(failure?.error.code).toBe('WORKER_PROTOCOL');
    expect(failure?.error.message).toMatch(
      /Worker "resizer-1" speaks queue protocol 2 but attempt "resize#1" on queue "images" was sent with protocol 99/,
    );
    await events.close();
    await sender.close();
    connection.disconnect();
  });

  it('the view shows a job whose attempt waits on a queue nobody serves queued, saying no worker was seen', async () => {
    const unserved = await createAttemptQueue({ connection: server.url, queue: 'unserved' });
    const orchestrator = createOrchestrator(
      queuedPlan({ id: 'nobody', jobs: [{ id: 'crop', handler: 'crop' }] }, unserved),
    );
    const waitingJob = new Promise<JobView>((resolve) => {
      orchestrator.view$.subscribe((view) => {
        if (view.jobs[0]?.waiting) resolve(view.jobs[0]);
      });
    });
    orchestrator.start(); // sends the attempt to the queue at once
    unserved.tellNoWorker(5);
    expect(await waitingJob).toMatchObject({
      status: 'running',
      waiting: 'no worker on queue unserved seen for 5 s',
    });
    orchestrator.cancel();
    expect((await orchestrator.whenSettled()).jobs[0]?.waiting).toBeUndefined();
    await unserved.close();
  });

  it('refuses at validation a job that would run on the queue with an inline function', () => {
    const attempt = () =>
      queuedPlan({ id: 'inline', jobs: [{ id: 'resize', run: async () => 1 }] }, queue);
    expect(attempt).toThrow(PlanValidationError);
    expect(attempt).toThrow(
      /job "resize" would run on queue "images" but its run is an inline function/,
    );
  });
});
