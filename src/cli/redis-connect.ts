import { Redis } from 'ioredis';
import { OrchestratorError } from '../runtime/errors.js';
import type { RedisTarget } from './redis-url.js';

/** How long the first connection may take before Redis counts as unreachable. */
const CONNECT_TIMEOUT_MS = 5_000;
/** Longest wait between two attempts to reconnect a connection that was up. */
const MAX_RECONNECT_DELAY_MS = 2_000;

export type RedisConnectCode = 'REDIS_UNREACHABLE' | 'REDIS_AUTH_FAILED' | 'REDIS_DB_INVALID';

/** Redis could not be reached or refused us at the start; nothing was written. */
export class RedisConnectError extends OrchestratorError {
  declare readonly code: RedisConnectCode;

  constructor(code: RedisConnectCode, message: string) {
    super(code, message);
  }
}

/**
 * A client connected to `target`, authenticated and on its database, or a `RedisConnectError`
 * saying which of these failed. The first connection is tried once: a command line does not wait
 * for a server that is not there. Once up, a `reconnect` connection comes back by itself after
 * Redis was away (with a growing delay, at most 2 s); without it, a lost connection stays lost.
 */
export async function connectRedis(
  target: RedisTarget,
  options: { reconnect?: boolean } = {},
): Promise<Redis> {
  let connected = false;
  let lastError: Error | null = null;
  const client = new Redis({
    host: target.host,
    port: target.port,
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password } : {}),
    ...(target.tls ? { tls: {} } : {}),
    // Also chosen again on every reconnect; the explicit SELECT below reports a refusal.
    db: target.db,
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: options.reconnect ? null : 0,
    retryStrategy: (times) =>
      connected && options.reconnect ? Math.min(times * 100, MAX_RECONNECT_DELAY_MS) : null,
  });
  client.on('error', (error: Error) => {
    lastError = error;
  });
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw classify(target, lastError ?? (error as Error));
  }
  try {
    if (target.db !== 0) await client.select(target.db);
  } catch (error) {
    client.disconnect();
    throw new RedisConnectError(
      'REDIS_DB_INVALID',
      `Redis at ${target.shown} refused database ${target.db}: ${(error as Error).message}; give a database the server has (0 to 15 unless its "databases" setting says more)`,
    );
  }
  connected = true;
  return client;
}

function classify(target: RedisTarget, error: Error): RedisConnectError {
  const message = error.message;
  if (/^(WRONGPASS|NOAUTH|NOPERM)\b/.test(message) || /invalid password/i.test(message)) {
    return new RedisConnectError(
      'REDIS_AUTH_FAILED',
      `Redis at ${target.shown} refused the connection: ${message}; give the user and password its ACL expects in the URL (redis://user:password@host:port)`,
    );
  }
  return new RedisConnectError(
    'REDIS_UNREACHABLE',
    `Cannot reach Redis at ${target.shown}: ${message}; start redis-server there (see "Running across machines" in the README) or give the right host and port`,
  );
}
