import { Redis } from 'ioredis';
import { filter, firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createOrchestrator,
  JOURNAL_FORMAT,
  LeaseLostError,
  MemoryStore,
  OrchestratorOptionError,
  PersistenceError,
  planKeys,
  RedisStore,
  RedisStoreError,
  RestoreError,
  redactUrl,
  type StampedRecord,
  StateLockedError,
} from '../../src/index.js';
import { keyGone, watchKey } from '../support/redis-keyspace.js';
import { freePort, type RedisServer, startRedisServer } from '../support/redis-server.js';

let server: RedisServer;
let admin: Redis;
const stores: RedisStore[] = [];
const extraServers: RedisServer[] = [];
let plans = 0;

beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis(server.url);
});
afterAll(async () => {
  for (const store of stores) await store.close();
  admin?.disconnect();
  await server?.stop();
  for (const extra of extraServers) await extra.stop();
});

function open(planId: string, options: { leaseMs?: number; url?: string } = {}) {
  const warnings: string[] = [];
  const store = new RedisStore({
    connection: options.url ?? server.url,
    planId,
    ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
    warn: (message) => warnings.push(message),
  });
  stores.push(store);
  return Object.assign(store, { warnings });
}

const newPlanId = (name: string) => `${name}-${++plans}`;

async function journalOf(planId: string, url = server.url): Promise<string[]> {
  const client = url === server.url ? admin : new Redis(url);
  try {
    return await client.lrange(planKeys(planId).journal, 0, -1);
  } finally {
    if (client !== admin) client.disconnect();
  }
}

/** A header and records of a real plan, to write by hand. */
async function sample() {
  const memory = new MemoryStore();
  const orchestrator = createOrchestrator(
    { id: 'sample', jobs: [{ id: 'A', run: async () => 'a' }] },
    { store: memory },
  );
  orchestrator.start();
  await orchestrator.whenSettled();
  return { header: memory.header!, records: memory.records };
}

/** Waits for the real expiry of a lease, as Redis tells it. */
const leaseExpired = (planId: string) => keyGone(server.url, planKeys(planId).lease);

/**
 * A started plan A → B → C whose job B waits for `release()`; `started` resolves once B runs,
 * `persistenceFailed` with the plan's first `persistence-failed` record.
 */
function gatedChain(planId: string, store: RedisStore, onStart?: (jobId: string) => void) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let bStarted!: () => void;
  const started = new Promise<void>((resolve) => {
    bStarted = resolve;
  });
  const run = async ({ jobId }: { jobId: string }) => {
    onStart?.(jobId);
    if (jobId === 'B') {
      bStarted();
      await gate;
    }
    return jobId;
  };
  const orchestrator = createOrchestrator(
    {
      id: planId,
      jobs: [
        { id: 'A', run },
        { id: 'B', dependsOn: ['A'], run },
        { id: 'C', dependsOn: ['B'], run },
      ],
    },
    { store },
  );
  const persistenceFailed = firstValueFrom(
    orchestrator.events$.pipe(filter((record) => record.type === 'persistence-failed')),
  );
  orchestrator.start();
  return { orchestrator, started, release, persistenceFailed };
}

describe('RedisStore running a plan', () => {
  it('starts an attempt only once Redis has acknowledged its start, and keeps a summary for plans', async () => {
    const planId = newPlanId('write-ahead');
    const seen: boolean[] = [];
    const store = open(planId);
    const run = async ({ attemptId }: { attemptId: string }) => {
      const journal = (await journalOf(planId)).map((line) => JSON.parse(line));
      seen.push(journal.some((r) => r.type === 'attempt-started' && r.attemptId === attemptId));
      return 'done';
    };
    const orchestrator = createOrchestrator(
      {
        id: planId,
        jobs: [
          { id: 'A', run },
          { id: 'B', dependsOn: ['A'], run },
        ],
      },
      { store },
    );
    orchestrator.start();
    expect((await orchestrator.whenSettled()).status).toBe('completed');
    expect(seen).toEqual([true, true]);

    const summary = await admin.hgetall(planKeys(planId).summary);
    const journal = await journalOf(planId);
    expect(summary).toMatchObject({
      planId,
      status: 'completed',
      records: String(journal.length - 1),
    });
    expect(JSON.parse(summary.owner!)).toMatchObject({ pid: process.pid, fence: 1 });
    expect(await admin.smembers('plan-orchestrator:plans')).toContain(planId);
    // Another handle reads the plan back without owning it (as `status` does).
    const loaded = await open(planId).load();
    expect(loaded.records.at(-1)?.type).toBe('plan-completed');
    expect(loaded.records.length).toBe(journal.length - 1);
  });
});

describe('the lease of a Redis-kept plan', () => {
  it('refuses a second coordinator while the lease lives, naming the owner and its expiry, and lets one in once it expired', async () => {
    const planId = newPlanId('takeover');
    const { lease, fence } = planKeys(planId);
    // A coordinator on another machine, which stopped renewing.
    const elsewhere = {
      ownerId: 'other',
      pid: 4242,
      host: 'elsewhere',
      since: '2026-12-01T00:00:00.000Z',
      fence: 1,
    };
    await admin.multi().incr(fence).set(lease, JSON.stringify(elsewhere), 'PX', 1000).exec();
    const store = open(planId, { leaseMs: 1000 });
    const refusal = await store.acquire().catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(StateLockedError);
    expect(refusal).toMatchObject({
      code: 'STATE_LOCKED',
      owner: { pid: 4242, host: 'elsewhere', ownerId: 'other' },
      message: expect.stringMatching(
        /is in use by process 4242 on host elsewhere .*its lease expires at \S+ \(in \d\.\d s\)/,
      ),
    });
    expect(await store.owner()).toMatchObject({ pid: 4242, host: 'elsewhere', fence: 1 });

    await leaseExpired(planId);
    await store.acquire();
    expect(await store.owner()).toMatchObject({ pid: process.pid, fence: 2 });
  });

  it('is renewed while its coordinator lives, so no one takes the plan past leaseMs', async () => {
    const planId = newPlanId('renewed');
    const store = open(planId, { leaseMs: 1000 });
    const { lease } = planKeys(planId);
    const watch = await watchKey(server.url, lease);
    await store.acquire();
    // Four renewals (every third of the lease, each a SET with a new expiry) outlast the lease
    // as first set; an expiry in between would have let the second coordinator in.
    await watch.seen('set', 5);
    watch.close();
    await expect(open(planId).acquire()).rejects.toBeInstanceOf(StateLockedError);
    await store.relinquish();
    expect(await admin.exists(lease)).toBe(0);
  });

  it('fences off a writer whose plan was taken over: it writes nothing more and names the new owner', async () => {
    const planId = newPlanId('fenced');
    const { header, records } = await sample();
    const first = open(planId);
    await first.acquire();
    first.begin({ ...header, planId });
    first.append(records.slice(0, 3));
    await first.flush();
    const before = await journalOf(planId);
    // Its lease ran out (say it was paused) and another coordinator took the plan.
    await admin.del(planKeys(planId).lease);
    const second = open(planId);
    await second.acquire();

    first.append(records.slice(3));
    const lost = await first.flush().catch((error: unknown) => error);
    expect(lost).toBeInstanceOf(LeaseLostError);
    expect(lost).toMatchObject({
      code: 'LEASE_LOST',
      owner: { pid: process.pid },
      message: expect.stringContaining(`process ${process.pid} on host`),
    });
    await expect(first.flush()).rejects.toBeInstanceOf(LeaseLostError);
    await expect(first.writeSnapshot({} as never)).rejects.toBeInstanceOf(LeaseLostError);
    expect(await journalOf(planId)).toEqual(before);
  });

  it('stops a plan whose lease was taken over: whenSettled rejects with LEASE_LOST, its running attempts are aborted, nothing more is written', async () => {
    const planId = newPlanId('stopped');
    const store = open(planId);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let bothRunning!: () => void;
    let running = 0;
    const started = new Promise<void>((resolve) => {
      bothRunning = resolve;
    });
    const aborted: string[] = [];
    const orchestrator = createOrchestrator(
      {
        id: planId,
        jobs: [
          {
            id: 'quick',
            run: async () => {
              if (++running === 2) bothRunning();
              await gate;
            },
          },
          {
            id: 'long',
            run: ({ signal }) =>
              new Promise((_, reject) => {
                if (++running === 2) bothRunning();
                signal.addEventListener('abort', () => {
                  aborted.push('long');
                  reject(signal.reason);
                });
              }),
          },
          { id: 'after', dependsOn: ['quick'], run: async () => 'never' },
        ],
      },
      { store },
    );
    orchestrator.start();
    await started;
    // A coordinator on another machine takes the plan over (as if this one's lease had run out).
    const { lease, fence } = planKeys(planId);
    const other = {
      ownerId: 'other',
      pid: 4242,
      host: 'elsewhere',
      since: '2026-12-02T00:00:00.000Z',
      fence: 2,
    };
    await admin.multi().incr(fence).set(lease, JSON.stringify(other), 'PX', 5000).exec();
    const before = await journalOf(planId);
    release();
    const settled = await orchestrator.whenSettled().catch((error: unknown) => error);
    expect(settled).toBeInstanceOf(LeaseLostError);
    expect(settled).toMatchObject({ owner: { pid: 4242, host: 'elsewhere' } });
    expect(aborted).toEqual(['long']);
    expect(await journalOf(planId)).toEqual(before);
  });

  it('appends a write whose reply was lost once only when it is tried again, with whatever was recorded since', async () => {
    const planId = newPlanId('reply-lost');
    const { header, records } = await sample();
    const store = open(planId);
    await store.acquire();
    store.begin({ ...header, planId });
    await store.flush();
    // The lines reached Redis, but the reply did not reach the store (a dropped connection).
    const lines = records.slice(0, 4).map((record) => JSON.stringify(record));
    await admin.rpush(planKeys(planId).journal, ...lines);
    store.append(records.slice(0, 4));
    await store.flush();
    // Again, and the plan recorded more before the write was tried again.
    expect(records.length).toBeGreaterThan(5);
    await admin.rpush(planKeys(planId).journal, JSON.stringify(records[4]));
    store.append(records.slice(4, 5));
    store.append(records.slice(5));
    await store.flush();
    expect((await open(planId).load()).records).toEqual(records);
    expect(await admin.hget(planKeys(planId).summary, 'records')).toBe(String(records.length));
  });
});

describe('a Redis-kept plan whose redis-server is killed (SIGKILL) and restarted mid-run', () => {
  it('pauses at persistence while Redis is down, loses nothing acknowledged, and goes on by itself, even after its lease ran out meanwhile', async () => {
    const redis = await startRedisServer();
    extraServers.push(redis);
    const planId = newPlanId('redis-restart');
    const store = open(planId, { url: redis.url });
    let down = false;
    const startedWhileDown: string[] = [];
    const {
      orchestrator,
      started,
      release,
      persistenceFailed: paused,
    } = gatedChain(planId, store, (jobId) => {
      if (down) startedWhileDown.push(jobId);
    });
    await started;
    const acknowledged = await journalOf(planId, redis.url);
    await redis.kill();
    down = true;
    release();
    await paused;
    expect(orchestrator.getView().checkpoint).toMatchObject({ name: 'persistence' });
    down = false;
    await redis.restart();
    // Down longer than the lease, with no one taking the plan over: the lease ran out meanwhile.
    const client = new Redis(redis.url);
    await client.del(planKeys(planId).lease);
    expect((await orchestrator.whenSettled()).status).toBe('completed');
    // Its token still the latest, the coordinator took its lease back and wrote on.
    expect(JSON.parse((await client.hget(planKeys(planId).summary, 'owner'))!)).toMatchObject({
      pid: process.pid,
      fence: 1,
    });
    client.disconnect();

    expect(startedWhileDown).toEqual([]);
    const journal = await journalOf(planId, redis.url);
    expect(journal.slice(0, acknowledged.length)).toEqual(acknowledged);
    const records = journal.slice(1).map((line) => JSON.parse(line) as StampedRecord);
    expect(records.map((record) => record.seq)).toEqual(records.map((_, i) => i + 1));
    expect(records).toContainEqual(
      expect.objectContaining({
        type: 'command-accepted',
        command: { type: 'RESUME', reason: 'the store is writable again' },
      }),
    );
    expect(records.at(-1)?.type).toBe('plan-completed');
    expect(store.warnings).toEqual([
      expect.stringMatching(
        /^Redis at redis:\/\/127\.0\.0\.1:\d+ is unreachable .*pauses at its persistence checkpoint/,
      ),
      expect.stringMatching(/is reachable again; plan "redis-restart-\d+" goes on$/),
    ]);
  }, 30_000);
});

describe('a Redis-kept plan whose redis-server stops answering (SIGSTOP)', () => {
  it('pauses at persistence once a write goes unanswered for a lease, and goes on by itself when Redis answers again', async () => {
    const redis = await startRedisServer();
    extraServers.push(redis);
    const client = new Redis(redis.url);
    const pid = Number(/process_id:(\d+)/.exec(await client.info('server'))![1]);
    client.disconnect();
    const planId = newPlanId('frozen');
    const store = open(planId, { url: redis.url, leaseMs: 1000 });
    const { orchestrator, started, release, persistenceFailed: failed } = gatedChain(planId, store);
    await started;
    process.kill(pid, 'SIGSTOP');
    try {
      release();
      expect(await failed).toMatchObject({
        error: { message: expect.stringContaining('is unreachable (no answer within 1000 ms)') },
      });
      expect(orchestrator.getView().checkpoint).toMatchObject({ name: 'persistence' });
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    expect((await orchestrator.whenSettled()).status).toBe('completed');
    expect(store.warnings).toEqual([
      expect.stringContaining('is unreachable (no answer within 1000 ms)'),
      expect.stringContaining('is reachable again'),
    ]);
    const records = (await journalOf(planId, redis.url)).slice(1).map((line) => JSON.parse(line));
    expect(records.map((record) => record.seq)).toEqual(records.map((_, i) => i + 1));
    expect(records.at(-1)).toMatchObject({ type: 'plan-completed' });
  }, 30_000);
});

describe('RedisStore refuses bad input with a clear error, writing nothing', () => {
  it('refuses a connection that is not a Redis URL, and an out-of-bounds lease, without printing a password', () => {
    const notRedis = (() => {
      try {
        return new RedisStore({ connection: 'http://user:hunter2@example.com', planId: 'p' });
      } catch (error) {
        return error;
      }
    })();
    expect(notRedis).toBeInstanceOf(RedisStoreError);
    expect(notRedis).toMatchObject({
      code: 'REDIS_URL',
      message: expect.stringContaining('redis://[user:password@]host:port[/db]'),
    });
    expect((notRedis as Error).message).not.toContain('hunter2');
    expect(() => new RedisStore({ connection: 'redis://h:1/zero', planId: 'p' })).toThrow(
      /names database "zero"/,
    );
    expect(() => new RedisStore({ connection: server.url, planId: 'p', leaseMs: 500 })).toThrow(
      OrchestratorOptionError,
    );
    expect(() => new RedisStore({ connection: server.url, planId: 'p', leaseMs: 500 })).toThrow(
      /leaseMs must be an integer from 1000 to 600000 \(milliseconds\); got 500/,
    );
    expect(() => new RedisStore({ connection: server.url, planId: 'a{b}' })).toThrow(/planId/);
  });

  it('names an unreachable server and a refused password', async () => {
    const port = await freePort();
    const unreachable = open('p', { url: `redis://user:hunter2@127.0.0.1:${port}` });
    const refused = await unreachable.acquire().catch((error: unknown) => error);
    expect(refused).toMatchObject({
      code: 'REDIS_UNREACHABLE',
      message: expect.stringContaining(
        `Redis at redis://user:***@127.0.0.1:${port} is unreachable`,
      ),
    });
    expect((refused as Error).message).not.toContain('hunter2');

    const guarded = await startRedisServer({ args: ['--requirepass', 'right-secret'] });
    extraServers.push(guarded);
    const wrong = open('p', { url: `redis://:wrong-secret@127.0.0.1:${guarded.port}` });
    const denied = await wrong.load().catch((error: unknown) => error);
    expect(denied).toBeInstanceOf(RedisStoreError);
    expect(denied).toMatchObject({
      code: 'REDIS_AUTH',
      message: expect.stringContaining('refused the credentials'),
    });
    expect((denied as Error).message).not.toContain('wrong-secret');
  });

  it('names a plan that is not there, a journal of another format, a damaged element by key and index, and a key holding something else', async () => {
    await expect(open('nowhere').load()).rejects.toThrow(RestoreError);
    await expect(open('nowhere').load()).rejects.toThrow(/no plan "nowhere" is kept in Redis at/);

    const { header } = await sample();
    const future = newPlanId('future');
    await admin.rpush(
      planKeys(future).journal,
      JSON.stringify({ ...header, planId: future, format: 99 }),
    );
    await expect(open(future).load()).rejects.toThrow(
      `unknown format version 99 (this version reads ${JOURNAL_FORMAT})`,
    );

    const damaged = newPlanId('damaged');
    const { records } = await sample();
    await admin.rpush(
      planKeys(damaged).journal,
      JSON.stringify({ ...header, planId: damaged }),
      JSON.stringify(records[0]),
      '{"seq": 2, "type": "job-queued", "jobId": "A"', // cut JSON
    );
    await expect(open(damaged).load()).rejects.toThrow(
      `${planKeys(damaged).journal} index 2: the element is not valid JSON`,
    );
    await admin.lset(planKeys(damaged).journal, 2, JSON.stringify({ ...records[1], seq: 7 }));
    await expect(open(damaged).load()).rejects.toThrow(
      'index 2: record seq 7 where 2 was expected',
    );

    const taken = newPlanId('taken');
    await admin.set(planKeys(taken).journal, 'something else');
    const load = await open(taken)
      .load()
      .catch((error: unknown) => error);
    expect(load).toMatchObject({
      code: 'REDIS_WRONG_TYPE',
      message: expect.stringContaining(
        `Redis key ${planKeys(taken).journal} at ${server.url} holds a string`,
      ),
    });
    await admin.hset(planKeys(taken).lease, 'x', '1');
    await expect(open(taken).acquire()).rejects.toMatchObject({
      code: 'REDIS_WRONG_TYPE',
      message: expect.stringContaining(planKeys(taken).lease),
    });

    const summaryTaken = newPlanId('summary-taken');
    await admin.set(planKeys(summaryTaken).summary, 'not a hash');
    const store = open(summaryTaken);
    store.begin({ ...header, planId: summaryTaken });
    const write = await store.flush().catch((error: unknown) => error);
    expect(write).toBeInstanceOf(PersistenceError);
    expect((write as Error).message).toContain(
      `${planKeys(summaryTaken).summary} at ${server.url} holds a string`,
    );
    expect(await admin.exists(planKeys(summaryTaken).journal)).toBe(0);
  });

  it('refuses to start a new plan where a journal is already kept', async () => {
    const planId = newPlanId('existing');
    const { header, records } = await sample();
    const first = open(planId);
    first.begin({ ...header, planId });
    first.append(records);
    await first.flush();
    await first.relinquish();
    const before = await journalOf(planId);
    const second = open(planId);
    second.begin({ ...header, planId });
    await expect(second.flush()).rejects.toThrow(/is already kept in Redis .*resume it/);
    expect(await journalOf(planId)).toEqual(before);
  });

  it('redacts the password of a URL', () => {
    expect(redactUrl('redis://alice:s3cret@host:6380/2')).toBe('redis://alice:***@host:6380/2');
    expect(redactUrl('redis://:s3cret@host:6380')).toBe('redis://:***@host:6380');
    expect(redactUrl('redis://host:6380')).toBe('redis://host:6380');
    expect(redactUrl('not a url://x:y@z')).not.toContain('y@');
  });
});
