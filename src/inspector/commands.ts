import type { IncomingMessage, ServerResponse } from 'node:http';
import { COMMAND_TYPES } from '../../machines/plan/commands.js';
import type { Command, Orchestrator } from '../runtime/orchestrator.js';
import { readBody, reply } from './http.js';
import { bearerToken, tokenMatches } from './security.js';

/** Commands a page may send, named when it sends `ADD_JOB` (which needs job functions). */
const PAGE_COMMANDS = new Set([...COMMAND_TYPES].filter((type) => type !== 'ADD_JOB'));

/** `POST /api/command`: checks the token, type and size of the body, then sends the command. */
export function commandHandler(
  orchestrator: Orchestrator,
  token: string,
  maxBodyBytes: number,
): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  return async (request, response) => {
    if (!tokenMatches(bearerToken(request.headers.authorization), token)) {
      reply(response, 401, { accepted: false, reason: 'missing or wrong token' });
      return;
    }
    if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) {
      reply(response, 415, { accepted: false, reason: 'send the command as application/json' });
      return;
    }
    const body = await readBody(request, maxBodyBytes);
    if (body === null) {
      response.setHeader('connection', 'close');
      reply(response, 413, {
        accepted: false,
        reason: `command body is larger than ${maxBodyBytes} bytes`,
      });
      return;
    }
    let command: Command;
    try {
      command = JSON.parse(body);
    } catch {
      reply(response, 400, { accepted: false, reason: 'command body is not JSON' });
      return;
    }
    // Every other command, known or not, is answered (and recorded) by the orchestrator itself.
    if ((command as { type?: unknown })?.type === 'ADD_JOB') {
      reply(response, 400, {
        accepted: false,
        reason: `ADD_JOB needs job functions, which a page cannot send; use one of ${[...PAGE_COMMANDS].join(', ')}`,
      });
      return;
    }
    const result = orchestrator.send(command);
    reply(response, result.accepted ? 200 : 409, result);
  };
}
