import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh random token: 32 bytes, URL-safe. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Compares a presented token with the expected one in constant time. Both are hashed first, so
 * neither the length nor the content of the expected token leaks through timing.
 */
export function tokenMatches(presented: string | null | undefined, expected: string): boolean {
  if (typeof presented !== 'string') return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

/**
 * The `Host` headers a request may carry: the loopback names with the port, and the bound host
 * when it is another one. Anything else is a DNS-rebinding attempt or a mistake, and is refused.
 */
export function allowedHosts(boundHost: string, port: number): ReadonlySet<string> {
  const names = new Set(['127.0.0.1', 'localhost', '[::1]']);
  names.add(boundHost.includes(':') ? `[${boundHost}]` : boundHost);
  return new Set([...names].map((name) => `${name}:${port}`));
}

/** A browser's `Origin` must be this server's own; requests without one (not from a page) pass. */
export function originAllowed(origin: string | undefined, hosts: ReadonlySet<string>): boolean {
  if (origin === undefined) return true;
  return [...hosts].some((host) => origin === `http://${host}`);
}

/** The token of `Authorization: Bearer <token>`, or null. */
export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return match ? match[1]! : null;
}
