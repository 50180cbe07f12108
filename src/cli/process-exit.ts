import { isatty } from 'node:tty';

/** The standard streams (0, 1, 2) that were terminals when the command started. */
let terminals: number[] = [];

/** Notes which standard streams are terminals; called once, as the command starts. */
export function rememberTerminals(): void {
  terminals = [0, 1, 2].filter((fd) => isatty(fd));
}

/**
 * Ends the command with `code`. On exit Node restores the settings of the standard streams that
 * were terminals, and when one of them was closed meanwhile (its window or SSH session gone, the
 * case SIGHUP reports) Node 20 aborts there on an assertion, printing a native stack trace, with
 * exit status 134. A command whose terminal is gone ends as a closed terminal ends a program
 * instead: by SIGHUP (status 129), with nothing to restore.
 */
export function exitNow(code: number): never {
  if (terminals.some((fd) => !isatty(fd))) {
    process.removeAllListeners('SIGHUP');
    process.kill(process.pid, 'SIGHUP');
  }
  process.exit(code);
}
