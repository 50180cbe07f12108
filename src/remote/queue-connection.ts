import { Redis, type RedisOptions } from 'ioredis';
import { checkConnection, type RedisConnection } from '../persistence/redis-connection.js';

/**
 * An ioredis client as BullMQ needs it: commands wait for a reconnection instead of failing after
 * a few retries (`maxRetriesPerRequest: null`), which BullMQ requires of a worker's connections.
 */
export function queueClient(connection: RedisConnection): Redis {
  checkConnection(connection);
  const options: RedisOptions = { maxRetriesPerRequest: null, lazyConnect: false };
  return typeof connection === 'string'
    ? new Redis(connection, options)
    : new Redis({ ...connection, ...options });
}

/** BullMQ's default key prefix; the queues of plans use it unless told otherwise. */
export const DEFAULT_QUEUE_PREFIX = 'bull';
