import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { planKeys } from '../../src/persistence/redis-keys.js';
import { freePort, type RedisServer, startRedisServer } from '../support/redis-server.js';
import { node, planFile } from './jobs.js';
import { cli } from './run-cli.js';

const PASSWORD = 'correct-horse-battery-42';
let server: RedisServer;
let redis: Redis;
let url: string;
let dir: string;

beforeAll(async () => {
  server = await startRedisServer({ args: ['--requirepass', PASSWORD] });
  url = `redis://:${PASSWORD}@127.0.0.1:${server.port}`;
  redis = new Redis({ port: server.port, host: '127.0.0.1', password: PASSWORD });
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'redis-bad-input-'));
  await redis.flushall();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const plan = () =>
  planFile(dir, 'plan.json', { id: 'nightly', jobs: [{ id: 'a', run: node('') }] });

/** Every key the server holds, so a test can say nothing was written. */
const allKeys = () => redis.keys('*');

describe('run, resume, status and plans with a bad --redis', () => {
  it('a malformed URL exits 2 naming it (password hidden) and the form to write; nothing is written', async () => {
    const file = await plan();
    const bad = `redis://user:${PASSWORD}@[::1:${server.port}`;
    for (const args of [
      ['run', file, '--redis', bad],
      ['resume', '--redis', bad, '--plan', 'nightly'],
      ['plans', '--redis', `http://127.0.0.1:${server.port}`],
      ['status', '--redis', `redis://127.0.0.1:${server.port}/zero`, '--plan', 'nightly'],
    ]) {
      const result = await cli(args);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^error REDIS_URL --redis ".*" is not a usable Redis URL: /);
      expect(result.stderr).toContain('write redis://[user:password@]host:port[/db]');
      expect(result.stderr).not.toContain(PASSWORD);
    }
    const first = await cli(['run', file, '--redis', bad]);
    expect(first.stderr).toBe(
      `error REDIS_URL --redis "redis://***@[::1:${server.port}" is not a usable Redis URL: it is not a URL; write redis://[user:password@]host:port[/db] (or rediss:// for TLS)\n`,
    );
    expect(await allKeys()).toEqual([]);
  });

  it('an unreachable Redis exits 3 naming the URL without its password; nothing is written', async () => {
    const file = await plan();
    const port = await freePort();
    const result = await cli(['run', file, '--redis', `redis://:${PASSWORD}@127.0.0.1:${port}`]);
    expect(result.code).toBe(3);
    expect(result.stderr).toBe(
      `error REDIS_UNREACHABLE Redis at redis://:***@127.0.0.1:${port} is unreachable (connect ECONNREFUSED 127.0.0.1:${port}); start it, or check the host and port of the URL\n`,
    );
    expect(result.stdout).toBe('');
    expect(await allKeys()).toEqual([]);
  });

  it('a wrong password exits 3 saying Redis refused it, without printing it; nothing is written', async () => {
    const file = await plan();
    const wrong = 'not-the-password-17';
    const result = await cli([
      'run',
      file,
      '--redis',
      `redis://:${wrong}@127.0.0.1:${server.port}`,
    ]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(
      new RegExp(
        `^error REDIS_AUTH Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${server.port} refused the credentials \\(WRONGPASS .*\\); give the right user and password in the URL`,
      ),
    );
    expect(result.stderr).not.toContain(wrong);
    expect(await allKeys()).toEqual([]);
  });

  it('no password for a Redis that asks for one exits 3 (NOAUTH)', async () => {
    const result = await cli(['plans', '--redis', `redis://127.0.0.1:${server.port}`]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(
      `error REDIS_AUTH Redis at redis://127.0.0.1:${server.port} refused the credentials (NOAUTH Authentication required.)`,
    );
  });

  it('a database the server does not have exits 3 naming it; nothing is written', async () => {
    const file = await plan();
    const result = await cli(['run', file, '--redis', `${url}/99`]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(
      `error REDIS_DB_INVALID Redis at redis://:***@127.0.0.1:${server.port}/99 refused database 99: ERR DB index is out of range`,
    );
    expect(await allKeys()).toEqual([]);
  });

  it('resume and status of a plan id that is not there exit 3 naming it and the plans command; nothing is written', async () => {
    const shown = `redis://:***@127.0.0.1:${server.port}`;
    for (const command of ['resume', 'status']) {
      const result = await cli([command, '--redis', url, '--plan', 'ghost']);
      expect(result.code).toBe(3);
      expect(result.stderr).toBe(
        `error PLAN_NOT_FOUND No plan "ghost" is kept in Redis at ${shown}; plan-orchestrator plans --redis ${shown} lists the plans kept there\n`,
      );
    }
    expect(await allKeys()).toEqual([]);
  });

  it('run of a plan id that already has a journal there exits 5 naming resume --redis; nothing is touched', async () => {
    const file = await plan();
    const keys = planKeys('nightly');
    await redis.rpush(keys.journal, '{"format":1}');
    const result = await cli(['run', file, '--redis', url]);
    expect(result.code).toBe(5);
    const shown = `redis://:***@127.0.0.1:${server.port}`;
    expect(result.stderr).toBe(
      `error STATE_HAS_JOURNAL Plan "nightly" is already kept in Redis at ${shown} (${keys.journal} holds a plan's journal); go on with it with \`plan-orchestrator resume --redis ${shown} --plan nightly\`, or give the plan another id\n`,
    );
    expect(await allKeys()).toEqual([keys.journal]);
    expect(await redis.lrange(keys.journal, 0, -1)).toEqual(['{"format":1}']);
  });

  it('a journal key that holds something else: run, resume and status exit 3 naming the key; nothing is written', async () => {
    const file = await plan();
    const keys = planKeys('nightly');
    await redis.set(keys.journal, 'not a journal');
    const shown = `redis://:***@127.0.0.1:${server.port}`;
    for (const args of [
      ['run', file, '--redis', url],
      ['resume', '--redis', url, '--plan', 'nightly'],
      ['status', '--redis', url, '--plan', 'nightly'],
    ]) {
      const result = await cli(args);
      expect(result.code).toBe(3);
      expect(result.stderr).toBe(
        `error REDIS_WRONG_TYPE Redis key ${keys.journal} at ${shown} holds a string, not a plan's journal (a list); it belongs to something else: delete the key if it is stale, or give the plan another id\n`,
      );
    }
    expect(await allKeys()).toEqual([keys.journal]);
    expect(await redis.get(keys.journal)).toBe('not a journal');
  });

  it('a journal of another format version: resume and status exit 3 naming it; the journal and plan file stay as they were', async () => {
    const file = await plan();
    const keys = planKeys('nightly');
    const header = JSON.stringify({ format: 99, planId: 'nightly', input: { jobs: [] } });
    await redis.rpush(keys.journal, header);
    const source = JSON.stringify({
      source: await readFile(file, 'utf8'),
      file,
      planDir: dir,
    });
    await redis.set(keys.source, source);
    for (const command of ['resume', 'status']) {
      const result = await cli([command, '--redis', url, '--plan', 'nightly']);
      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(/^error RESTORE_FAILED Cannot restore from .*format/);
      expect(result.stderr).not.toContain(PASSWORD);
    }
    expect(await redis.lrange(keys.journal, 0, -1)).toEqual([header]);
    expect(await redis.get(keys.source)).toBe(source);
    expect(await redis.exists(keys.lease)).toBe(0);
  });

  it('run --redis with --state-dir exits 2 before touching either', async () => {
    const file = await plan();
    const stateDir = join(dir, 'state');
    const result = await cli(['run', file, '--redis', url, '--state-dir', stateDir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'error USAGE run: give --state-dir or --redis, not both (a plan is kept in one place)\n',
    );
    expect(existsSync(stateDir)).toBe(false);
    expect(await allKeys()).toEqual([]);
  });

  it('--redis without --plan, --plan without --redis and a --plan that is not a plan id exit 2', async () => {
    const cases: [string[], string][] = [
      [['resume', '--redis', url], 'error USAGE resume --redis needs --plan <planId>'],
      [['approve', '--plan', 'nightly'], 'error USAGE approve: --plan goes with --redis URL'],
      [['status', '--redis', url, '--plan', '{x}'], 'error USAGE --plan must be a plan id'],
      [['cancel'], 'error USAGE cancel needs a state folder or --redis URL --plan <planId>'],
      [
        ['resume', join(dir, 'state'), '--lease-ms', '2000'],
        'error USAGE resume: --lease-ms goes with --redis (a state folder has no lease)',
      ],
    ];
    for (const [args, message] of cases) {
      const result = await cli(args);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
    }
  });
});
