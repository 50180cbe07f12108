import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { planKeys, plansKey } from '../../src/persistence/redis-keys.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { cli } from './run-cli.js';

let server: RedisServer;
let redis: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis({ port: server.port, host: '127.0.0.1' });
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
});
beforeEach(async () => {
  await redis.flushall();
});

describe('plans --redis', () => {
  it('lists each plan kept there with its status, coordinator, lease expiry, records and update time', async () => {
    const alpha = planKeys('alpha');
    const beta = planKeys('beta');
    await redis.sadd(plansKey(), 'beta', 'alpha');
    await redis.hset(alpha.summary, {
      status: 'running',
      owner: 'c-1',
      updatedAt: '2026-12-01T10:00:00.000Z',
      records: '12',
    });
    await redis.set(
      alpha.lease,
      JSON.stringify({ ownerId: 'c-1', pid: 4242, host: 'box-a', fence: 3 }),
      'PX',
      600_000,
    );
    await redis.hset(beta.summary, {
      status: 'completed',
      owner: '',
      updatedAt: String(Date.UTC(2026, 11, 1, 9, 30)),
      records: '30',
    });
    const result = await cli(['plans', '--redis', server.url]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.map((line) => line.split(/ {2,}/))).toEqual([
      ['PLAN', 'STATUS', 'OWNER', 'LEASE UNTIL', 'RECORDS', 'UPDATED'],
      [
        'alpha',
        'running',
        '4242@box-a',
        expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/),
        '12',
        '2026-12-01T10:00:00.000Z',
      ],
      ['beta', 'completed', 'none', '-', '30', '2026-12-01T09:30:00.000Z'],
    ]);
  });

  it('says so when no plan is kept there', async () => {
    const result = await cli(['plans', '--redis', server.url]);
    expect(result).toMatchObject({
      code: 0,
      stdout: `No plans are kept in Redis at ${server.url}\n`,
    });
  });

  it('a plans key that holds something else exits 3 naming it', async () => {
    await redis.set(plansKey(), 'x');
    const result = await cli(['plans', '--redis', server.url]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(
      `Cannot restore from ${server.url} key ${plansKey()}: WRONGTYPE`,
    );
  });
});
