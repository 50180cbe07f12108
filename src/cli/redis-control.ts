import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { PlanKeys } from '../persistence/redis-keys.js';
import type { Command, CommandResult } from '../runtime/orchestrator.js';
import { ControlNoAnswerError, PlanNotRunningError } from '../shared/errors.js';
import {
  type ControlChannel,
  commandResultOf,
  MAX_REPLY_BYTES,
  MAX_REQUEST_BYTES,
  obey,
  REPLY_TIMEOUT_MS,
} from './control.js';
import { connectRedis } from './redis-connect.js';
import type { RedisTarget } from './redis-url.js';

/**
 * The control channel of a plan kept in Redis: `approve | retry | skip | cancel | pause |
 * continue --redis URL --plan ID` reach the plan's coordinator, on whatever machine it runs,
 * through Redis pub/sub.
 *
 * A request is `{"id":"…","command":{…}}` (the id first) published on the plan's control channel;
 * the answer, `{"id":"…","accepted":…}`, goes to `<control channel>:reply:<id>`, which the caller
 * subscribed to before publishing. Who may send commands is whoever Redis lets in (its ACL user
 * and password, from the URL); ADD_JOB is refused, as on the local socket.
 */

/** A request id: short and plain, so the reply channel stays inside the plan's namespace. */
const REQUEST_ID = /^[A-Za-z0-9-]{1,64}$/;
/** Where an oversize request's id is looked for: its first bytes. */
const ID_AT_START = /^\{"id":"([A-Za-z0-9-]{1,64})"/;

export function replyChannel(keys: PlanKeys, id: string): string {
  return `${keys.control}:reply:${id}`;
}

/**
 * Serves the plan's control channel while it runs; `close` stops it. Its connections come back by
 * themselves after Redis was away.
 */
export async function openRedisControl(
  target: RedisTarget,
  keys: PlanKeys,
  send: (command: Command) => CommandResult,
): Promise<ControlChannel> {
  const subscriber = await connectRedis(target, { reconnect: true });
  let publisher: Redis;
  try {
    publisher = await connectRedis(target, { reconnect: true });
  } catch (error) {
    subscriber.disconnect();
    throw error;
  }
  subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => {
    if (channel.toString('utf8') !== keys.control) return;
    const answered = answer(message, send);
    if (!answered) return; // no id to answer to
    const [id, result] = answered;
    // Redis being away loses the answer; the caller then reports that none came.
    publisher.publish(replyChannel(keys, id), JSON.stringify({ id, ...result })).catch(() => {});
  });
  await subscriber.subscribe(keys.control);
  return {
    async close() {
      subscriber.disconnect();
      publisher.disconnect();
    },
  };
}

/** The id of a request and its answer; null when the request names no usable id. */
function answer(
  message: Buffer,
  send: (command: Command) => CommandResult,
): [string, CommandResult] | null {
  if (message.length > MAX_REQUEST_BYTES) {
    const id = ID_AT_START.exec(message.subarray(0, 100).toString('utf8'))?.[1];
    if (!id) return null;
    return [
      id,
      {
        accepted: false,
        reason: `the request is longer than ${MAX_REQUEST_BYTES} bytes; send a shorter command (e.g. a shorter --reason)`,
      },
    ];
  }
  let request: { id?: unknown; command?: unknown };
  try {
    request = JSON.parse(message.toString('utf8'));
  } catch {
    return null;
  }
  const id = request?.id;
  if (typeof id !== 'string' || !REQUEST_ID.test(id)) return null;
  return [id, obey(request.command, send)];
}

/**
 * Sends one command to the coordinator of plan `planId` and waits for its answer: a
 * `PLAN_NOT_RUNNING` error when no coordinator listens, `CONTROL_NO_ANSWER` when none came in time
 * or it was not a valid answer.
 */
export async function sendRedisControl(
  target: RedisTarget,
  keys: PlanKeys,
  planId: string,
  command: Command,
  timeoutMs: number = REPLY_TIMEOUT_MS,
): Promise<CommandResult> {
  const subscriber = await connectRedis(target);
  let publisher: Redis | null = null;
  try {
    publisher = await connectRedis(target);
    const id = randomUUID();
    const channel = replyChannel(keys, id);
    const noAnswer = (problem: string) =>
      new ControlNoAnswerError(
        `No valid answer from the coordinator of plan "${planId}" (Redis at ${target.shown}): ${problem}; ${command.type} may or may not have been applied (see plan-orchestrator status --redis ${target.shown} --plan ${planId})`,
      );
    let timer: NodeJS.Timeout | undefined;
    const answered = new Promise<CommandResult>((resolve, reject) => {
      timer = setTimeout(() => reject(noAnswer(`none within ${timeoutMs / 1000} s`)), timeoutMs);
      subscriber.on('messageBuffer', (from: Buffer, message: Buffer) => {
        if (from.toString('utf8') !== channel) return;
        if (message.length > MAX_REPLY_BYTES) {
          reject(noAnswer(`the answer is longer than ${MAX_REPLY_BYTES} bytes`));
          return;
        }
        const reply = parseReply(message.toString('utf8'), id);
        if (typeof reply === 'string') reject(noAnswer(reply));
        else resolve(reply);
      });
    });
    answered.catch(() => {}); // awaited below, unless nobody listens
    try {
      await subscriber.subscribe(channel);
      const listeners = await publisher.publish(keys.control, JSON.stringify({ id, command }));
      if (listeners === 0) {
        throw new PlanNotRunningError(
          `No coordinator runs plan "${planId}" in Redis at ${target.shown} (nothing listens on ${keys.control}); plan-orchestrator resume --redis ${target.shown} --plan ${planId} starts one`,
        );
      }
      return await answered;
    } finally {
      clearTimeout(timer);
    }
  } finally {
    subscriber.disconnect();
    publisher?.disconnect();
  }
}

function parseReply(text: string, id: string): CommandResult | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'the answer is not JSON';
  }
  if ((value as { id?: unknown } | null)?.id !== id) return 'the answer is for another request';
  return commandResultOf(value);
}
