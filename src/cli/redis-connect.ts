import { Redis } from 'ioredis';
import { connectionError, MAX_RECONNECT_DELAY_MS } from '../persistence/redis-connection.js';
import { OrchestratorError } from '../shared/errors.js';
import type { RedisTarget } from './redis-url.js';

/** How long the first connection may take before Redis counts as unreachable. */
const CONNECT_TIMEOUT_MS = 5_000;
/** The URL names a database the server does not have (code `REDIS_DB_INVALID`). */
export class RedisDatabaseError extends OrchestratorError {
  constructor(target: RedisTarget, reason: string) {
    super(
      'REDIS_DB_INVALID',
      `Redis at ${target.shown} refused database ${target.db}: ${reason}; give a database the server has (0 to 15 unless its "databases" setting says more)`,
    );
  }
}

/**
 * A client connected to `target`, authenticated and on its database, or an error saying which of
 * these failed: a `RedisStoreError` (`REDIS_UNREACHABLE`, `REDIS_AUTH`) or a `RedisDatabaseError`. The first connection is tried once: a command line does not wait
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
    throw connectionError(lastError ?? (error as Error), target.shown);
  }
  try {
    if (target.db !== 0) await client.select(target.db);
  } catch (error) {
    client.disconnect();
    throw new RedisDatabaseError(target, (error as Error).message);
  }
  connected = true;
  return client;
}
