/**
 * The program of the job launcher: a small Node process that starts shell jobs for the command
 * and reports what they do. `fork()` costs the process that calls it time in proportion to its
 * memory (its page tables are copied and every page it writes afterwards faults once), so a
 * coordinator holding a large plan paid 1.5–2 ms of its own CPU per job, three times what a bare
 * Node process pays; the launcher keeps its memory small and forks on the other core.
 *
 * Plain JavaScript run with `node -e`, so that it needs no loader and starts the same from the
 * sources and from the built package.
 *
 * Protocol, one JSON value per line:
 * - in: `{ "env": {...} }` first (the environment every job starts from), then one
 *   `{ "id", "command", "args", "cwd", "env", "shell", "killGraceMs" }` per job (`env`: what the
 *   job adds);
 * - out: `[0, "r"]` once it has the environment (it is ready); `[id, "p", pid]` once the job's process runs, in a process group of its own;
 *   `[id, "o" | "e", line]` for each line it prints on stdout or stderr (split as `readline`
 *   does: `\n`, `\r\n` or `\r`; a last line without an ending counts; a line longer than
 *   `MAX_LINE` characters comes in pieces of that length, so that a job printing hundreds of
 *   megabytes without a line break costs no more memory than one printing short lines);
 *   `[id, "f", { message, code, errno, syscall }]` when it cannot be started (or fails);
 *   `[id, "x", exitCode, signal]` once it exited and its output pipes closed.
 * The command signals the process groups itself, by pid. The launcher ends when its stdin does:
 * at once when no job runs; otherwise the command died without stopping its jobs (SIGKILL, the
 * out-of-memory killer), and the launcher stops them as the command would have, SIGTERM to each
 * group and SIGKILL after the job's grace, so that no job outlives its command (a resumed plan or
 * another worker may be about to run the same attempt again).
 */
/**
 * The longest line a job's output is reported in, in UTF-16 code units (what a JavaScript string
 * counts): longer ones come in pieces of this length.
 */
export const MAX_LINE = 65_536;

export const LAUNCHER_SCRIPT = String.raw`'use strict';
const { spawn } = require('node:child_process');
let baseEnv = {};
let input = '';
/** The jobs' processes that have not closed: id -> { child, killGraceMs }. */
const running = new Map();
/** Set once the command is gone: nothing is sent any more, and the launcher ends with its jobs. */
let orphaned = false;
const send = (message) => {
  if (!orphaned) process.stdout.write(JSON.stringify(message) + '\n');
};
const MAX_LINE = ${MAX_LINE};
/** Where a piece of at most MAX_LINE characters of a text ends: never inside a surrogate pair. */
function pieceEnd(text) {
  const code = text.charCodeAt(MAX_LINE - 1);
  return code >= 0xd800 && code <= 0xdbff ? MAX_LINE - 1 : MAX_LINE;
}
function lines(id, kind) {
  let pending = '';
  let afterReturn = false;
  /** Sends the pending text in pieces MAX_LINE long; when whole, the rest too, as the line's end. */
  const flush = (whole) => {
    while (pending.length > MAX_LINE) {
      const end = pieceEnd(pending);
      send([id, kind, pending.slice(0, end)]);
      pending = pending.slice(end);
    }
    if (whole) {
      send([id, kind, pending]);
      pending = '';
    }
  };
  return {
    data(text) {
      let start = afterReturn && text.charCodeAt(0) === 10 ? 1 : 0;
      afterReturn = false;
      for (let i = start; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c !== 10 && c !== 13) continue;
        pending += text.slice(start, i);
        flush(true);
        if (c === 13) {
          if (i + 1 === text.length) afterReturn = true;
          else if (text.charCodeAt(i + 1) === 10) i++;
        }
        start = i + 1;
      }
      pending += text.slice(start);
      flush(false);
    },
    end() {
      if (pending.length > 0) flush(true);
    },
  };
}
const failure = (error) => ({
  message: String(error && error.message),
  code: error && error.code,
  errno: error && error.errno,
  syscall: error && error.syscall,
});
function start(job) {
  let child;
  try {
    child = spawn(job.command, job.args, {
      cwd: job.cwd,
      env: Object.assign({}, baseEnv, job.env),
      shell: job.shell,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    send([job.id, 'f', failure(error)]);
    return;
  }
  if (child.pid !== undefined) {
    running.set(job.id, { child, killGraceMs: job.killGraceMs });
    send([job.id, 'p', child.pid]);
  }
  for (const [stream, kind] of [[child.stdout, 'o'], [child.stderr, 'e']]) {
    const split = lines(job.id, kind);
    stream.setEncoding('utf8');
    stream.on('data', split.data);
    stream.on('end', split.end);
  }
  child.on('error', (error) => send([job.id, 'f', failure(error)]));
  child.on('close', (code, signal) => {
    running.delete(job.id);
    send([job.id, 'x', code, signal]);
    if (orphaned && running.size === 0) process.exit(0);
  });
}
const signalGroup = (pid, signal) => {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
};
/** How long after its SIGKILL a job's pipes may stay open (held by a process outside its group). */
const AFTER_KILL_MS = 1000;
function orphan() {
  if (orphaned) return;
  orphaned = true;
  if (running.size === 0) process.exit(0);
  let longest = 0;
  for (const { child, killGraceMs } of running.values()) {
    signalGroup(child.pid, 'SIGTERM');
    setTimeout(() => signalGroup(child.pid, 'SIGKILL'), killGraceMs);
    longest = Math.max(longest, killGraceMs);
  }
  setTimeout(() => process.exit(0), longest + AFTER_KILL_MS);
}
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  input += chunk;
  let newline;
  while ((newline = input.indexOf('\n')) >= 0) {
    const message = JSON.parse(input.slice(0, newline));
    input = input.slice(newline + 1);
    if (message.id !== undefined) start(message);
    else {
      baseEnv = message.env;
      send([0, 'r']);
    }
  }
});
process.stdin.on('end', orphan);
// The command is gone (killed, or exited before it needed a job): so is the one reading this.
process.stdout.on('error', orphan);
`;
