import { STOP_SIGNALS, type StopSignal } from './output.js';

/**
 * Calls `handler` on SIGINT, SIGTERM and SIGHUP while a plan runs; `again` is true from the
 * second signal on. Returns a function that removes the handlers.
 */
export function onStopSignal(handler: (signal: StopSignal, again: boolean) => void): () => void {
  let received = 0;
  const listeners = STOP_SIGNALS.map((signal) => {
    const listener = () => handler(signal, received++ > 0);
    process.on(signal, listener);
    return [signal, listener] as const;
  });
  return () => {
    for (const [signal, listener] of listeners) process.off(signal, listener);
  };
}
