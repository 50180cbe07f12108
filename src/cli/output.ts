import { formatDiagnostic, type LoadedPlan } from './plan-file.js';

/** Exit codes, as documented in the README. Only a completed plan exits 0. */
export const EXIT = {
  completed: 0,
  /** The plan failed or was canceled, or a control command was rejected or not confirmed. */
  failed: 1,
  usage: 2,
  unreadableState: 3,
  /** The plan paused at a checkpoint that nothing in this run can act on. */
  stranded: 4,
  /** The state folder is in use by another process, or already holds a plan. */
  stateInUse: 5,
  /** 128 + the signal's number, as shells report a process ended by that signal. */
  hangup: 129,
  interrupted: 130,
  terminated: 143,
  /** Stdout can no longer be written (its reader went away: `… | head`): SIGPIPE's number. */
  brokenPipe: 141,
} as const;

/** The exit code of a command stopped by `signal`. */
export function exitCodeOfSignal(signal: StopSignal): number {
  if (signal === 'SIGHUP') return EXIT.hangup;
  if (signal === 'SIGTERM') return EXIT.terminated;
  if (signal === 'SIGPIPE') return EXIT.brokenPipe;
  return EXIT.interrupted;
}

/** The signals that stop a running plan: Ctrl-C, a service manager or CI runner, a closed terminal. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/**
 * What stops a running plan: one of `STOP_SIGNALS`, or `SIGPIPE`, a stdout that can no longer be
 * written (its reader went away: Node ignores that signal, and the write fails with EPIPE).
 */
export type StopSignal = (typeof STOP_SIGNALS)[number] | 'SIGPIPE';

/** What the message about a first stop says of it: a signal can be sent again, a closed pipe cannot. */
export function stopCause(signal: StopSignal): string {
  return signal === 'SIGPIPE'
    ? 'SIGPIPE: stdout can no longer be written'
    : `${signal}; send it again to kill them at once`;
}

export function out(text: string) {
  process.stdout.write(text);
}

/** Reports problems of a plan file and stops with exit code 2. */
export function planOrExit(
  loaded: LoadedPlan,
): asserts loaded is Extract<LoadedPlan, { ok: true }> {
  if (loaded.ok) {
    for (const warning of loaded.warnings) process.stderr.write(`${formatDiagnostic(warning)}\n`);
    return;
  }
  for (const diagnostic of loaded.diagnostics)
    process.stderr.write(`${formatDiagnostic(diagnostic)}\n`);
  process.exit(EXIT.usage);
}
