import { Redis, type RedisOptions } from 'ioredis';

type Connection = string | RedisOptions;

const connect = (connection: Connection) =>
  typeof connection === 'string' ? new Redis(connection) : new Redis(connection);

/**
 * Redis's keyspace notifications for one key: the server publishes each change to it (`set`,
 * `del`, `expired`, …), so a test waits for the change itself instead of polling the key.
 */
export interface KeyWatch {
  /** Resolves once `count` notifications of `event` arrived since the watch began. */
  seen(event: string, count?: number): Promise<void>;
  close(): void;
}

export async function watchKey(connection: Connection, key: string, db = 0): Promise<KeyWatch> {
  const subscriber = connect(connection);
  // K: keyspace channel; $: string commands (SET); g: generic (DEL, EXPIRE); x: expiries.
  await subscriber.config('SET', 'notify-keyspace-events', 'K$gx');
  const counts = new Map<string, number>();
  const waiting: Array<{ event: string; count: number; resolve: () => void }> = [];
  subscriber.on('message', (_channel: string, event: string) => {
    counts.set(event, (counts.get(event) ?? 0) + 1);
    for (const wait of waiting.splice(0)) {
      if ((counts.get(wait.event) ?? 0) >= wait.count) wait.resolve();
      else waiting.push(wait);
    }
  });
  await subscriber.subscribe(`__keyspace@${db}__:${key}`);
  return {
    seen: (event, count = 1) =>
      new Promise<void>((resolve) => {
        if ((counts.get(event) ?? 0) >= count) resolve();
        else waiting.push({ event, count, resolve });
      }),
    close: () => subscriber.disconnect(),
  };
}

/** Resolves once `key` is gone (expired or deleted), told by Redis, not found by polling. */
export async function keyGone(connection: Connection, key: string): Promise<void> {
  const watch = await watchKey(connection, key);
  const client = connect(connection);
  try {
    // Subscribed first, so an expiry between the check and the wait is not missed.
    if ((await client.exists(key)) === 0) return;
    await Promise.race([watch.seen('expired'), watch.seen('del')]);
  } finally {
    client.disconnect();
    watch.close();
  }
}
