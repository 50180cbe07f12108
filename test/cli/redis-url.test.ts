import { describe, expect, it } from 'vitest';
import { parseRedisUrl } from '../../src/cli/redis-url.js';

describe('--redis URLs', () => {
  it('take user, password, host, port, database and TLS; the password is shown as ***', () => {
    expect(parseRedisUrl('redis://ops:s%40cret@redis.internal:6380/2')).toEqual({
      url: 'redis://ops:s%40cret@redis.internal:6380/2',
      shown: 'redis://ops:***@redis.internal:6380/2',
      host: 'redis.internal',
      port: 6380,
      username: 'ops',
      password: 's@cret',
      db: 2,
      tls: false,
    });
    expect(parseRedisUrl('rediss://[::1]')).toMatchObject({
      host: '::1',
      port: 6379,
      db: 0,
      tls: true,
    });
    expect(parseRedisUrl('redis://:pw@h:1/')).toMatchObject({
      password: 'pw',
      db: 0,
      shown: 'redis://:***@h:1/',
    });
  });

  for (const [url, problem] of [
    ['redis.internal:6379', 'its scheme is "redis.internal:", not redis: or rediss:'],
    ['http://u:pw@h:1', 'its scheme is "http:", not redis: or rediss:'],
    ['redis://:pw@h:99999', 'it is not a URL'],
    ['redis://h:1/db0', 'its path "/db0" is not a database number'],
    ['redis://h:1/0?timeout=5', 'it has a query or fragment, which are not supported'],
    ['redis://', 'it names no host'],
  ] as const) {
    it(`refuse ${url} with REDIS_URL: ${problem}`, () => {
      let error: unknown;
      try {
        parseRedisUrl(url);
      } catch (caught) {
        error = caught;
      }
      expect(error).toMatchObject({
        code: 'REDIS_URL',
        message: expect.stringContaining(`: ${problem}; write redis://`),
      });
      expect((error as Error).message).not.toContain('pw');
    });
  }
});
