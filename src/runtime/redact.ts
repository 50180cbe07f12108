/** What a secret value is replaced with. */
export const REDACTED = '***';

/**
 * Shortest secret that can be redacted. A shorter value would also hide ordinary text (every
 * `abc` in every line) while hiding little, so secrets shorter than this are refused.
 */
export const MIN_SECRET_LENGTH = 4;

/** Replaces every occurrence of the known secret values in a text by `***`. */
export type Redact = (text: string) => string;

const keepText: Redact = (text) => text;

/**
 * The forms of one secret that are replaced: the value itself; each of its lines, for a value of
 * several lines (a process prints line by line); the value as it appears escaped inside JSON, URL
 * encoded, and base64 encoded (as `echo -n "$X" | base64` prints it). Forms shorter than
 * `MIN_SECRET_LENGTH` are left out, for the reason given there.
 */
function formsOf(secret: string): string[] {
  const forms = [
    secret,
    ...secret.split(/\r?\n/),
    JSON.stringify(secret).slice(1, -1),
    encodeURIComponent(secret),
    Buffer.from(secret, 'utf8').toString('base64'),
    Buffer.from(secret, 'utf8').toString('base64url'),
  ];
  return forms.filter((form) => form.length >= MIN_SECRET_LENGTH);
}

const escapeRegExp = (text: string) => text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');

/**
 * A function that replaces each secret (in the forms `formsOf` lists) by `***`. Longer forms are
 * matched first, so a secret that contains another is replaced whole. It redacts exact
 * occurrences only: a value split across two output lines, or transformed otherwise, is not found.
 */
export function createRedactor(secrets: Iterable<string>): Redact {
  const forms = [...new Set([...secrets].flatMap(formsOf))].sort((a, b) => b.length - a.length);
  if (forms.length === 0) return keepText;
  const pattern = new RegExp(forms.map(escapeRegExp).join('|'), 'g');
  return (text) => text.replace(pattern, REDACTED);
}
