import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { chmod, readFile } from 'node:fs/promises';
import { createConnection, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { clearSocketPath, writePrivateFile } from '../persistence/private-file.js';
import type { Command, CommandResult } from '../runtime/orchestrator.js';
import { ControlNoAnswerError, PlanNotRunningError } from '../shared/errors.js';
import { EXIT, out } from './output.js';

/**
 * The control channel of a running plan: a local socket in the plan's state folder, through
 * which `plan-orchestrator approve | retry | skip | cancel | pause | continue` reach it from
 * another process. Only a caller that can read the token file (mode 0600, beside the socket) is
 * obeyed. Both files exist only while the plan runs.
 */
const SOCKET = 'control.sock';
const TOKEN = 'control.token';
/** A request is one short JSON line; a longer one is refused with an answer saying so. */
export const MAX_REQUEST_BYTES = 64 * 1024;
/** An answer is one short JSON line; a longer one is not read. */
export const MAX_REPLY_BYTES = 64 * 1024;
/** How long a control command waits for the plan's answer. */
export const REPLY_TIMEOUT_MS = 30_000;

/** The open channel; `close` stops it and removes its files. */
export interface ControlChannel {
  close(): Promise<void>;
}

export async function openControl(
  stateDir: string,
  send: (command: Command) => CommandResult,
): Promise<ControlChannel> {
  const token = randomBytes(32).toString('hex');
  const socketPath = join(stateDir, SOCKET);
  const tokenPath = join(stateDir, TOKEN);
  // A socket left by an earlier run goes; a link planted at either name is refused, never followed.
  await clearSocketPath(socketPath);
  await writePrivateFile(tokenPath, token);
  const server = createServer((socket) => serve(socket, token, send));
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  await chmod(socketPath, 0o600);
  // However the command ends (a second signal exits at once), the token does not stay behind.
  const removeFiles = () => {
    try {
      if (readFileSync(tokenPath, 'utf8') !== token) return; // not ours any more
      rmSync(tokenPath, { force: true });
      rmSync(socketPath, { force: true });
    } catch {
      // Already gone.
    }
  };
  process.on('exit', removeFiles);
  return {
    async close() {
      server.close();
      removeFiles();
      process.off('exit', removeFiles);
    },
  };
}

/** Reads one request line and answers it; an oversize request gets a refusal, not a reset. */
function serve(socket: Socket, token: string, send: (command: Command) => CommandResult) {
  let received = Buffer.alloc(0);
  let answered = false;
  const reply = (result: CommandResult) => {
    if (answered) return;
    answered = true;
    socket.end(`${JSON.stringify(result)}\n`);
  };
  // A caller that goes away early is not the plan's problem.
  socket.on('error', () => {});
  socket.on('data', (chunk: Buffer) => {
    if (answered) return; // the rest of a refused request is read and dropped
    received = Buffer.concat([received, chunk]);
    const newline = received.indexOf(10);
    if (newline >= 0 && newline <= MAX_REQUEST_BYTES) {
      reply(answer(received.subarray(0, newline).toString('utf8'), token, send));
    } else if (received.length > MAX_REQUEST_BYTES) {
      reply({
        accepted: false,
        reason: `the request is longer than ${MAX_REQUEST_BYTES} bytes; send a shorter command (e.g. a shorter --reason)`,
      });
    }
  });
  socket.on('end', () => reply({ accepted: false, reason: 'the request ended without a newline' }));
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
  const given = Buffer.from(typeof request?.token === 'string' ? request.token : '');
  const expected = Buffer.from(token);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { accepted: false, reason: 'wrong or missing control token' };
  }
  return obey(request.command, send);
}

/**
 * A command that reached the plan from another process, passed on; ADD_JOB is refused (its job
 * would need functions, which do not cross processes).
 */
export function obey(command: unknown, send: (command: Command) => CommandResult): CommandResult {
  if ((command as { type?: unknown } | null)?.type === 'ADD_JOB') {
    return { accepted: false, reason: 'ADD_JOB is not available through the control channel' };
  }
  return send(command as Command);
}

/** An answer as the server sends it, checked; a string says what is wrong with it. */
function parseReply(text: string): CommandResult | string {
  if (text.length === 0) return 'the connection closed without an answer';
  if (!text.endsWith('\n')) return 'the answer was cut off';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'the answer is not JSON';
  }
  return commandResultOf(value);
}

/** A parsed answer, checked: a command result, or a string saying what is wrong with it. */
export function commandResultOf(parsed: unknown): CommandResult | string {
  const value = parsed as { accepted?: unknown; reason?: unknown } | null;
  if (value?.accepted === true) return { accepted: true };
  if (value?.accepted === false && typeof value.reason === 'string') {
    return { accepted: false, reason: value.reason };
  }
  return 'the answer is not a command result';
}

/** Sends one command to the plan running with this state folder. */
export async function sendControl(stateDir: string, command: Command): Promise<CommandResult> {
  const token = await readFile(join(stateDir, TOKEN), 'utf8').catch(() => {
    throw new PlanNotRunningError(
      `No plan runs with state folder ${stateDir} (no ${TOKEN}); start one with run --state-dir`,
    );
  });
  return new Promise((resolve, reject) => {
    const socket = createConnection(join(stateDir, SOCKET));
    const noAnswer = (problem: string) => {
      socket.destroy();
      reject(
        new ControlNoAnswerError(
          `No valid answer from the plan of state folder ${stateDir}: ${problem}; ${command.type} may or may not have been applied (see plan-orchestrator status ${stateDir})`,
        ),
      );
    };
    socket.setTimeout(REPLY_TIMEOUT_MS, () => noAnswer(`none within ${REPLY_TIMEOUT_MS / 1000} s`));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED' || error.code === 'ENOENT') {
        reject(new PlanNotRunningError(`The plan of state folder ${stateDir} is not running`));
      } else noAnswer(`${error.code ?? error.name}: ${error.message}`);
    });
    const chunks: Buffer[] = [];
    let size = 0;
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REPLY_BYTES) noAnswer(`the answer is longer than ${MAX_REPLY_BYTES} bytes`);
      else chunks.push(chunk);
    });
    socket.on('end', () => {
      const reply = parseReply(Buffer.concat(chunks).toString('utf8'));
      if (typeof reply === 'string') noAnswer(reply);
      else resolve(reply);
    });
    socket.end(`${JSON.stringify({ token, command })}\n`);
  });
}

/** One control command, and its answer as the exit code; `deliver` carries it to the plan. */
export async function controlCommand(
  command: Command,
  deliver: (command: Command) => Promise<CommandResult>,
) {
  let result: CommandResult;
  try {
    result = await deliver(command);
  } catch (error) {
    if (error instanceof ControlNoAnswerError) {
      process.stderr.write(`${error.message}\n`);
      return EXIT.failed;
    }
    throw error;
  }
  if (result.accepted) {
    out(`${command.type} accepted\n`);
    return EXIT.completed;
  }
  process.stderr.write(`${command.type} rejected: ${result.reason}\n`);
  return EXIT.failed;
}
