import { EXIT, STOP_SIGNALS, type StopSignal } from './output.js';
import { exitNow } from './process-exit.js';

/**
 * Calls `handler` on SIGINT, SIGTERM and SIGHUP while a plan runs, and with `SIGPIPE` when
 * stdout can no longer be written (see `watchClosedOutput`); `again` is true from the second on.
 * Returns a function that removes the handlers.
 */
export function onStopSignal(handler: (signal: StopSignal, again: boolean) => void): () => void {
  let received = 0;
  const listeners = STOP_SIGNALS.map((signal) => {
    const listener = () => handler(signal, received++ > 0);
    process.on(signal, listener);
    return [signal, listener] as const;
  });
  // Output lost while already stopping (a closed terminal sends SIGHUP, then every write fails)
  // changes nothing: the stop under way goes on.
  const onOutputClosed = () => {
    if (received++ === 0) handler('SIGPIPE', false);
  };
  outputClosedListeners.add(onOutputClosed);
  return () => {
    for (const [signal, listener] of listeners) process.off(signal, listener);
    outputClosedListeners.delete(onOutputClosed);
  };
}

/** Told when stdout can no longer be written; with none, the command exits at once. */
const outputClosedListeners = new Set<() => void>();
let outputClosed = false;

/**
 * A reader of stdout that went away (`plan-orchestrator logs build | head`) is what SIGPIPE
 * tells other programs. Node ignores that signal, and the write fails with EPIPE instead (EIO on
 * a terminal that was closed, ENOSPC on a full disk), which nothing would catch: the command
 * died with a stack trace, in the middle of the stop a closed terminal's SIGHUP had begun. Now a
 * command that runs a plan or attempts stops as on SIGTERM (`onStopSignal`, with `SIGPIPE`)
 * unless it is stopping already, and any other exits 141 at once, as a program ended by SIGPIPE
 * does. Output written after that is dropped. Installed once, by the command line's entry point.
 */
export function watchClosedOutput(): void {
  process.stdout.on('error', () => {
    if (outputClosed) return;
    outputClosed = true;
    if (outputClosedListeners.size === 0) exitNow(EXIT.brokenPipe);
    for (const listener of outputClosedListeners) listener();
  });
  // Nothing can be told on a stderr whose reader went away: what is written there is dropped.
  process.stderr.on('error', () => {});
}
