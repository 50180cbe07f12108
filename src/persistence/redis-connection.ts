import { Redis, type RedisOptions } from 'ioredis';
import { RedisStoreError } from '../shared/errors.js';

/** Where a Redis store connects: a `redis://[user:password@]host:port[/db]` URL, or ioredis options. */
export type RedisConnection = string | RedisOptions;

/** Longest wait between two reconnection tries while Redis is unreachable. */
export const MAX_RECONNECT_DELAY_MS = 2000;

/**
 * A Redis URL with its password replaced by `***`, for messages and records: a password is never
 * printed or stored. Text that is not a URL keeps only what cannot be a password.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/** How a connection is named in messages: its URL without the password. */
export function describeConnection(connection: RedisConnection): string {
  if (typeof connection === 'string') return redactUrl(connection);
  const host = connection.host ?? '127.0.0.1';
  const port = connection.port ?? 6379;
  const db = connection.db ? `/${connection.db}` : '';
  const scheme = connection.tls ? 'rediss' : 'redis';
  return connection.path
    ? `redis+unix://${connection.path}${db}`
    : `${scheme}://${host}:${port}${db}`;
}

/** Refuses what is not a Redis URL before anything connects, naming the value and the shape. */
export function checkConnection(connection: RedisConnection): void {
  if (typeof connection !== 'string') {
    if (connection === null || typeof connection !== 'object') {
      throw new RedisStoreError(
        'REDIS_URL',
        `RedisStore connection must be a redis:// URL or ioredis options; got ${String(connection)}`,
      );
    }
    return;
  }
  let parsed: URL | null = null;
  try {
    parsed = new URL(connection);
  } catch {
    // Named below.
  }
  const shape = 'redis://[user:password@]host:port[/db] (rediss:// for TLS)';
  if (!parsed || (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')) {
    throw new RedisStoreError(
      'REDIS_URL',
      `"${redactUrl(connection)}" is not a Redis URL; write it as ${shape}`,
    );
  }
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) {
    throw new RedisStoreError(
      'REDIS_URL',
      `"${redactUrl(connection)}" names database "${db}"; a Redis database is a number (${shape})`,
    );
  }
}

/** The error of a command Redis did not answer within `commandTimeout`. */
export const COMMAND_TIMED_OUT = 'Command timed out';

/**
 * A client that fails fast while Redis is unreachable (no offline queue, no retried commands):
 * a write during an outage is refused at once, so the plan pauses instead of hanging, and the
 * client reconnects by itself with a backoff of at most `MAX_RECONNECT_DELAY_MS`. A command
 * unanswered after `commandTimeoutMs` (a frozen server, a network that drops without a reset)
 * fails too.
 */
export function openRedis(connection: RedisConnection, commandTimeoutMs: number): Redis {
  const options: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: commandTimeoutMs,
    connectTimeout: 5000,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), MAX_RECONNECT_DELAY_MS),
  };
  return typeof connection === 'string'
    ? new Redis(connection, options)
    : new Redis({ ...connection, ...options });
}

/**
 * Resolves once the client is ready; the first connection that fails rejects with a
 * `RedisStoreError` naming the server and the fix (nothing waits forever for a wrong URL).
 */
export function whenReady(redis: Redis, where: string, everReady: boolean): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const done = () => {
      redis.off('ready', onReady);
      redis.off('error', onError);
    };
    const onReady = () => {
      done();
      resolve();
    };
    const onError = (error: Error) => {
      done();
      // A server never reached is not retried in the background: the caller hears why at once.
      if (!everReady) redis.disconnect();
      reject(connectionError(error, where));
    };
    redis.on('ready', onReady);
    redis.on('error', onError);
    if (redis.status === 'wait' || redis.status === 'end') redis.connect().catch(() => {});
  });
}

/** A Redis failure as an error naming the server, the cause and what to do. */
export function connectionError(error: Error, where: string): RedisStoreError {
  const message = error.message;
  if (/WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(message)) {
    return new RedisStoreError(
      'REDIS_AUTH',
      `Redis at ${where} refused the credentials (${message}); give the right user and password in the URL (redis://user:password@host:port)`,
      { cause: error },
    );
  }
  return new RedisStoreError(
    'REDIS_UNREACHABLE',
    `Redis at ${where} is unreachable (${message}); start it, or check the host and port of the URL`,
    { cause: error },
  );
}
