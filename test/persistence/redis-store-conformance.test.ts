import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { RedisStore } from '../../src/index.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { type StoreHarness, storeConformance } from './store-conformance.js';

let server: RedisServer;
let admin: Redis;
beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis(server.url);
});
afterAll(async () => {
  admin?.disconnect();
  await server?.stop();
});

let plans = 0;

storeConformance('RedisStore', async (): Promise<StoreHarness> => {
  // Every handle is its own connection, as another process's would be.
  const planId = `conformance-${++plans}`;
  const opened: RedisStore[] = [];
  let whole: string[] | null = null;
  let journal = '';
  return {
    open() {
      const store = new RedisStore({ connection: server.url, planId });
      journal = store.keys.journal;
      opened.push(store);
      return store;
    },
    // Redis appends a list's elements whole: a record is never half there.
    tears: false,
    async cut(records) {
      whole ??= await admin.lrange(journal, 0, -1);
      await admin
        .multi()
        .del(journal)
        .rpush(journal, ...whole.slice(0, 1 + records))
        .exec();
    },
    async cleanup() {
      for (const store of opened) await store.close();
    },
  };
});
