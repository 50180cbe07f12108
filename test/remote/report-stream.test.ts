import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AttemptQueue,
  type AttemptWorker,
  createAttemptQueue,
  createOrchestrator,
  createWorker,
  queuedPlan,
} from '../../src/index.js';
import { parseReports, reportStreamOf } from '../../src/remote/protocol.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';

let server: RedisServer;
let redis: Redis;
let queue: AttemptQueue;
let worker: AttemptWorker;
beforeAll(async () => {
  server = await startRedisServer({ durable: false });
  redis = new Redis(server.url);
  queue = await createAttemptQueue({ connection: server.url, queue: 'reports' });
  worker = await createWorker({
    connection: server.url,
    queue: 'reports',
    name: 'reporter-1',
    handlers: {
      count: async ({ input, report }) => {
        report({ counted: 'half' });
        return { total: (input as number) * 2 };
      },
    },
  });
});
afterAll(async () => {
  await worker.close(0);
  await queue.close();
  redis.disconnect();
  await server.stop();
});

describe("a worker's reports to the coordinator", () => {
  it('go on the queue report stream, progress of one turn in one entry and the outcome after it', async () => {
    const orchestrator = createOrchestrator(
      queuedPlan({ id: 'tally', jobs: [{ id: 'sum', handler: 'count', input: 21 }] }, queue),
    );
    const view = await orchestrator.start().whenSettled();
    expect(view.status).toBe('completed');
    expect(view.jobs[0]).toMatchObject({ worker: 'reporter-1', output: { total: 42 } });

    const entries = await redis.xrange(reportStreamOf('bull', 'reports'), '-', '+');
    expect(entries.map(([, fields]) => parseReports(fields))).toEqual([
      [
        ['tally.sum#1', 'p', { 'plan-orchestrator:worker': 'reporter-1' }],
        ['tally.sum#1', 'p', { counted: 'half' }],
      ],
      [['tally.sum#1', 'c', { total: 42 }]],
    ]);
  });

  it('ignores entries on the stream that are not reports of a worker', () => {
    expect(parseReports(['reports', 'not json'])).toEqual([]);
    expect(parseReports(['other', '[]'])).toEqual([]);
    expect(parseReports(['reports', '[["a.b#1","x",1],["a.b#1","c",2]]'])).toEqual([
      ['a.b#1', 'c', 2],
    ]);
  });
});
