import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ControlChannel } from '../../src/cli/control.js';
import { openRedisControl, replyChannel, sendRedisControl } from '../../src/cli/redis-control.js';
import { parseRedisUrl } from '../../src/cli/redis-url.js';
import { planKeys } from '../../src/persistence/redis-keys.js';
import type { Command, CommandResult } from '../../src/runtime/orchestrator.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { cli } from './run-cli.js';

let server: RedisServer;
let redis: Redis;
const keys = planKeys('nightly');
const opened: { close(): unknown }[] = [];

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis({ port: server.port, host: '127.0.0.1' });
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
});
afterEach(async () => {
  for (const open of opened.splice(0)) await open.close();
});

/** A coordinator's control channel whose plan answers with `result` and keeps what it got. */
async function coordinator(result: CommandResult): Promise<Command[]> {
  const received: Command[] = [];
  const channel: ControlChannel = await openRedisControl(parseRedisUrl(server.url), keys, (c) => {
    received.push(c);
    return result;
  });
  opened.push(channel);
  return received;
}

/** A subscriber on the control channel that answers every request with `reply` (or never). */
async function fakeCoordinator(reply: ((id: string) => string) | null): Promise<void> {
  const subscriber = new Redis({ port: server.port, host: '127.0.0.1' });
  opened.push({ close: () => subscriber.disconnect() });
  subscriber.on('message', (_channel: string, message: string) => {
    if (!reply) return;
    const { id } = JSON.parse(message);
    redis.publish(replyChannel(keys, id), reply(id));
  });
  await subscriber.subscribe(keys.control);
}

describe('control commands through Redis (--redis URL --plan ID)', () => {
  it('approve reaches the coordinator of the plan and prints its acceptance', async () => {
    const received = await coordinator({ accepted: true });
    const result = await cli(['approve', '--redis', server.url, '--plan', 'nightly', '--job', 'a']);
    expect(result).toMatchObject({ code: 0, stdout: 'APPROVE accepted\n' });
    expect(received).toEqual([{ type: 'APPROVE', jobId: 'a' }]);
  });

  it('a refusal exits 1 with the reason; each command arrives as sent', async () => {
    const received = await coordinator({ accepted: false, reason: 'job "a" is not failed' });
    const retry = await cli([
      'retry',
      'a',
      '--from',
      'verify',
      '--redis',
      server.url,
      '--plan',
      'nightly',
    ]);
    expect(retry.code).toBe(1);
    expect(retry.stderr).toBe('RETRY_JOB rejected: job "a" is not failed\n');
    for (const args of [['skip', 'a', '--reason', 'flaky'], ['cancel'], ['pause'], ['continue']]) {
      expect((await cli([...args, '--redis', server.url, '--plan', 'nightly'])).code).toBe(1);
    }
    expect(received).toEqual([
      { type: 'RETRY_JOB', jobId: 'a', from: 'verify' },
      { type: 'SKIP_JOB', jobId: 'a', reason: 'flaky' },
      { type: 'CANCEL' },
      { type: 'PAUSE' },
      { type: 'RESUME' },
    ]);
  });

  it('ADD_JOB is refused by the coordinator, as on the local socket', async () => {
    const received = await coordinator({ accepted: true });
    const answer = await sendRedisControl(parseRedisUrl(server.url), keys, 'nightly', {
      type: 'ADD_JOB',
      job: { id: 'x', run: () => undefined },
    } as Command);
    expect(answer).toEqual({
      accepted: false,
      reason: 'ADD_JOB is not available through the control channel',
    });
    expect(received).toEqual([]);
  });

  it('a request over 64 KiB is answered with a refusal and never reaches the plan', async () => {
    const received = await coordinator({ accepted: true });
    const listener = new Redis({ port: server.port, host: '127.0.0.1' });
    opened.push({ close: () => listener.disconnect() });
    const answer = new Promise<string>((resolve) => listener.on('message', (_c, m) => resolve(m)));
    await listener.subscribe(replyChannel(keys, 'big-1'));
    await redis.publish(
      keys.control,
      JSON.stringify({ id: 'big-1', command: { type: 'CANCEL', reason: 'r'.repeat(100_000) } }),
    );
    expect(JSON.parse(await answer)).toEqual({
      id: 'big-1',
      accepted: false,
      reason:
        'the request is longer than 65536 bytes; send a shorter command (e.g. a shorter --reason)',
    });
    expect(received).toEqual([]);
  });

  it('with no coordinator listening exits 3 naming the plan and how to start one', async () => {
    const result = await cli(['cancel', '--redis', server.url, '--plan', 'nightly']);
    expect(result.code).toBe(3);
    expect(result.stderr).toBe(
      `No coordinator runs plan "nightly" in Redis at ${server.url} (nothing listens on ${keys.control}); plan-orchestrator resume --redis ${server.url} --plan nightly starts one\n`,
    );
  });

  for (const [kind, reply, problem] of [
    ['not JSON', () => 'not json', 'the answer is not JSON'],
    [
      'oversize',
      (id: string) => JSON.stringify({ id, accepted: false, reason: 'r'.repeat(70_000) }),
      'the answer is longer than 65536 bytes',
    ],
    [
      'not a command result',
      (id: string) => JSON.stringify({ id, ok: 1 }),
      'the answer is not a command result',
    ],
    [
      'for another request',
      () => JSON.stringify({ id: 'other', accepted: true }),
      'the answer is for another request',
    ],
  ] as const) {
    it(`an answer that is ${kind} says so and exits 1`, async () => {
      await fakeCoordinator(reply);
      const result = await cli(['cancel', '--redis', server.url, '--plan', 'nightly']);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `No valid answer from the coordinator of plan "nightly" (Redis at ${server.url}): ${problem}; CANCEL may or may not have been applied (see plan-orchestrator status --redis ${server.url} --plan nightly)\n`,
      );
    });
  }

  it('a coordinator that never answers is reported once the reply time is up', async () => {
    await fakeCoordinator(null);
    const sent = sendRedisControl(
      parseRedisUrl(server.url),
      keys,
      'nightly',
      { type: 'PAUSE' },
      200,
    );
    await expect(sent).rejects.toMatchObject({
      code: 'CONTROL_NO_ANSWER',
      message: expect.stringContaining('none within 0.2 s; PAUSE may or may not have been applied'),
    });
  });
});
