import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { OrchestratorError } from '../runtime/errors.js';
import type { Command, CommandResult } from '../runtime/orchestrator.js';
import { EXIT, out } from './output.js';

/**
 * The control channel of a running plan: a local socket in the plan's state folder, through
 * which `plan-orchestrator approve | retry | skip | cancel` reach it from another process. Only a
 * caller that can read the token file (mode 0600, beside the socket) is obeyed.
 */
const SOCKET = 'control.sock';
const TOKEN = 'control.token';
/** A request is one short JSON line; anything longer is refused. */
const MAX_REQUEST_BYTES = 64 * 1024;

export async function openControl(
  stateDir: string,
  send: (command: Command) => CommandResult,
): Promise<Server> {
  const token = randomBytes(32).toString('hex');
  const socketPath = join(stateDir, SOCKET);
  await rm(socketPath, { force: true });
  await writeFile(join(stateDir, TOKEN), token, { mode: 0o600 });
  const server = createServer((socket) => {
    let received = 0;
    socket.on('data', (chunk) => {
      received += chunk.length;
      if (received > MAX_REQUEST_BYTES) socket.destroy();
    });
    createInterface({ input: socket }).once('line', (line) => {
      socket.end(`${JSON.stringify(answer(line, token, send))}\n`);
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  await chmod(socketPath, 0o600);
  return server;
}

function answer(
  line: string,
  token: string,
  send: (command: Command) => CommandResult,
): CommandResult {
  let request: { token?: unknown; command?: unknown };
  try {
    request = JSON.parse(line);
  } catch {
    return { accepted: false, reason: 'the request is not JSON' };
  }
  const given = Buffer.from(typeof request.token === 'string' ? request.token : '');
  const expected = Buffer.from(token);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { accepted: false, reason: 'wrong or missing control token' };
  }
  const command = request.command as Command;
  if (command?.type === 'ADD_JOB') {
    return { accepted: false, reason: 'ADD_JOB is not available through the control channel' };
  }
  return send(command);
}

/** Sends one command to the plan running with this state folder. */
export async function sendControl(stateDir: string, command: Command): Promise<CommandResult> {
  const token = await readFile(join(stateDir, TOKEN), 'utf8').catch(() => {
    throw new OrchestratorError(
      'PLAN_NOT_RUNNING',
      `No plan runs with state folder ${stateDir} (no ${TOKEN}); start one with run --state-dir`,
    );
  });
  return new Promise((resolve, reject) => {
    const socket = createConnection(join(stateDir, SOCKET));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const gone = error.code === 'ECONNREFUSED' || error.code === 'ENOENT';
      reject(
        gone
          ? new OrchestratorError(
              'PLAN_NOT_RUNNING',
              `The plan of state folder ${stateDir} is not running`,
            )
          : error,
      );
    });
    let reply = '';
    socket.on('data', (chunk) => {
      reply += chunk;
    });
    socket.on('end', () => resolve(JSON.parse(reply)));
    socket.end(`${JSON.stringify({ token, command })}\n`);
  });
}

/** `approve`, `retry`, `skip`, `cancel`: one command, and its answer as the exit code. */
export async function controlCommand(command: Command, stateDir: string) {
  const result = await sendControl(stateDir, command);
  if (result.accepted) {
    out(`${command.type} accepted\n`);
    return EXIT.completed;
  }
  process.stderr.write(`${command.type} rejected: ${result.reason}\n`);
  return EXIT.failed;
}
