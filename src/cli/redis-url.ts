import { redactUrl } from '../persistence/redis-connection.js';
import { RedisStoreError } from '../shared/errors.js';

/**
 * `--redis redis://[user:password@]host:port[/db]`: where a plan is kept. The password only ever
 * reaches the Redis client; everything printed shows the URL with `***` in its place.
 */

/** The URL form the command line takes, as error messages name it. */
export const REDIS_URL_FORM = 'redis://[user:password@]host:port[/db] (or rediss:// for TLS)';

/** Largest database index accepted in the URL (Redis itself has 16 unless configured). */
const MAX_DB = 1_000_000;

export interface RedisTarget {
  /** The URL as given, password included: handed to the Redis client only, never printed. */
  url: string;
  /** The URL with the password replaced by `***`: the only form that is printed. */
  shown: string;
  host: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
  tls: boolean;
}

/** A `--redis` URL that cannot be used as given (code `REDIS_URL`); nothing was connected to. */
function badUrl(shown: string, problem: string): RedisStoreError {
  return new RedisStoreError(
    'REDIS_URL',
    `--redis "${shown}" is not a usable Redis URL: ${problem}; write ${REDIS_URL_FORM}`,
  );
}

export function parseRedisUrl(text: string): RedisTarget {
  const shown = redactUrl(text);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badUrl(shown, 'it is not a URL');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw badUrl(shown, `its scheme is "${url.protocol}", not redis: or rediss:`);
  }
  if (url.hostname === '') throw badUrl(shown, 'it names no host');
  if (url.search !== '' || url.hash !== '') {
    throw badUrl(shown, 'it has a query or fragment, which are not supported');
  }
  const path = url.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d{1,7}$/.test(path)) {
    throw badUrl(shown, `its path "/${path}" is not a database number`);
  }
  const db = path === '' ? 0 : Number(path);
  if (db > MAX_DB) {
    throw badUrl(shown, `its database ${db} is over ${MAX_DB}`);
  }
  let username: string;
  let password: string;
  try {
    username = decodeURIComponent(url.username);
    password = decodeURIComponent(url.password);
  } catch {
    throw badUrl(shown, 'its user name or password is not valid percent-encoding');
  }
  return {
    url: text,
    shown,
    // An IPv6 host comes in brackets, which the client does not take.
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? 6379 : Number(url.port),
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    db,
    tls: url.protocol === 'rediss:',
  };
}
