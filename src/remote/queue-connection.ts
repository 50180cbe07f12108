import { Redis, type RedisOptions } from 'ioredis';
import { checkConnection, type RedisConnection } from '../persistence/redis-connection.js';

/**
 * An ioredis client as BullMQ needs it: commands wait for a reconnection instead of failing after
 * a few retries (`maxRetriesPerRequest: null`), which BullMQ requires of a worker's connections.
 * With `autoPipelining`, the commands issued in one tick go out together.
 */
export function queueClient(connection: RedisConnection, autoPipelining = false): Redis {
  checkConnection(connection);
  const options: RedisOptions = {
    maxRetriesPerRequest: null,
    // The coordinator adds many attempts in one pass: sent together, one write for them all.
    enableAutoPipelining: autoPipelining,
  };
  return typeof connection === 'string'
    ? new Redis(connection, options)
    : new Redis({ ...connection, ...options });
}

/** BullMQ's default key prefix; the queues of plans use it unless told otherwise. */
export const DEFAULT_QUEUE_PREFIX = 'bull';
