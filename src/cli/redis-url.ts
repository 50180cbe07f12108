import { OrchestratorError } from '../runtime/errors.js';

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

/** A `--redis` URL that cannot be used as given; nothing was connected to. */
export class RedisUrlError extends OrchestratorError {
  constructor(shown: string, problem: string) {
    super(
      'REDIS_URL_INVALID',
      `--redis "${shown}" is not a usable Redis URL: ${problem}; write ${REDIS_URL_FORM}`,
    );
  }
}

/** The URL with its password (if any) replaced by `***`; also for text that is not a URL. */
export function redactRedisUrl(text: string): string {
  try {
    const url = new URL(text);
    if (!url.password) return text;
    // Shown as written, but for the password; the parser's form where that is not found.
    const written = `:${url.password}@`;
    if (text.includes(written)) return text.replace(written, ':***@');
    url.password = '***';
    return url.href;
  } catch {
    // Not a URL: hide whatever stands between "//" and the last "@" after the user name.
    return text.replace(/^([^/]*\/\/[^:@/]*):[^@]*@/, '$1:***@');
  }
}

export function parseRedisUrl(text: string): RedisTarget {
  const shown = redactRedisUrl(text);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RedisUrlError(shown, 'it is not a URL');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new RedisUrlError(shown, `its scheme is "${url.protocol}", not redis: or rediss:`);
  }
  if (url.hostname === '') throw new RedisUrlError(shown, 'it names no host');
  if (url.search !== '' || url.hash !== '') {
    throw new RedisUrlError(shown, 'it has a query or fragment, which are not supported');
  }
  const path = url.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d{1,7}$/.test(path)) {
    throw new RedisUrlError(shown, `its path "/${path}" is not a database number`);
  }
  const db = path === '' ? 0 : Number(path);
  if (db > MAX_DB) {
    throw new RedisUrlError(shown, `its database ${db} is over ${MAX_DB}`);
  }
  let username: string;
  let password: string;
  try {
    username = decodeURIComponent(url.username);
    password = decodeURIComponent(url.password);
  } catch {
    throw new RedisUrlError(shown, 'its user name or password is not valid percent-encoding');
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
