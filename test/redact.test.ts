import { describe, expect, it } from 'vitest';
import { createRedactor } from '../src/index.js';

describe('createRedactor', () => {
  const secret = 'p@ss word/1"x';
  const redact = createRedactor([secret]);

  it('replaces the value and its JSON, URL and base64 forms by ***', () => {
    expect(redact(`plain ${secret} end`)).toBe('plain *** end');
    expect(redact(JSON.stringify({ token: secret }))).toBe('{"token":"***"}');
    expect(redact(`?t=${encodeURIComponent(secret)}`)).toBe('?t=***');
    expect(redact(Buffer.from(secret).toString('base64'))).toBe('***');
    expect(redact(Buffer.from(secret).toString('base64url'))).toBe('***');
  });

  it('replaces each line of a secret of several lines, as a process prints it line by line', () => {
    const key = createRedactor(['-----BEGIN KEY-----\nAAAABBBBCCCC\nxy\n-----END KEY-----']);
    expect(['-----BEGIN KEY-----', 'AAAABBBBCCCC', 'xy'].map(key)).toEqual(['***', '***', 'xy']);
  });

  it('replaces a secret that contains another whole, and leaves other text alone', () => {
    const both = createRedactor(['abcd', 'abcdefgh']);
    expect(both('abcdefgh abcd abc')).toBe('*** *** abc');
    expect(createRedactor([])('abcd')).toBe('abcd');
  });
});
