import type { IncomingMessage, ServerResponse } from 'node:http';
import { reply, SECURITY_HEADERS } from './http.js';
import { bearerToken, tokenMatches } from './security.js';

/** The output a job's attempt printed (the latest attempt when none is named), or null. */
export type JobLogReader = (
  jobId: string,
  attempt?: number,
) => Promise<{ attempt: number; text: string; ended: boolean } | null>;

/** Lines `?tail=` may ask for at most. */
const MAX_TAIL = 10_000;

/**
 * `GET /api/logs/<job>[?attempt=n][&tail=n]`: the job's log as text, whole or its last lines.
 * The token comes as a bearer token, or as `?token=` for a link the page opens in a new tab.
 * The attempt shown is in the `x-attempt` header, and `x-attempt-ended` says if it is whole.
 */
export function logsHandler(
  logs: JobLogReader | undefined,
  token: string,
): (request: IncomingMessage, response: ServerResponse, jobId: string) => Promise<void> {
  return async (request, response, jobId) => {
    const url = new URL(request.url ?? '/', 'http://inspector');
    const presented = bearerToken(request.headers.authorization) ?? url.searchParams.get('token');
    if (!tokenMatches(presented, token)) {
      reply(response, 401, { error: 'missing or wrong token' });
      return;
    }
    if (!logs) {
      reply(response, 404, {
        error: 'no job logs are kept in this run; run with --state-dir to keep them',
      });
      return;
    }
    const attempt = positive(url.searchParams.get('attempt'), 1_000_000);
    const tail = positive(url.searchParams.get('tail'), MAX_TAIL);
    if (attempt === null || tail === null) {
      reply(response, 400, {
        error: `attempt must be an integer from 1 to 1000000 and tail from 1 to ${MAX_TAIL}`,
      });
      return;
    }
    const found = await logs(jobId, attempt);
    if (!found) {
      reply(response, 404, { error: `no log of job ${JSON.stringify(jobId)} yet` });
      return;
    }
    const text = tail === undefined ? found.text : lastLines(found.text, tail);
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      'x-attempt': String(found.attempt),
      'x-attempt-ended': String(found.ended),
    });
    response.end(request.method === 'HEAD' ? undefined : text);
  };
}

/** undefined when absent, null when not an integer from 1 to `max`. */
function positive(value: string | null, max: number): number | undefined | null {
  if (value === null) return undefined;
  const n = Number(value);
  return /^\d+$/.test(value) && n >= 1 && n <= max ? n : null;
}

function lastLines(text: string, count: number): string {
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  const kept = lines.slice(-count).join('\n');
  return kept === '' ? '' : `${kept}\n`;
}
