import type { Store } from '../persistence/store.js';

/**
 * Lets a stop signal freeze `store`: `freeze()` writes what was recorded so far, after which the
 * plan's commits never resolve, so nothing new starts while its running jobs are stopped.
 */
export function freezer(store: Store): () => Promise<void> {
  const flush = store.flush.bind(store);
  let frozen = false;
  store.flush = () => (frozen ? new Promise<void>(() => {}) : flush());
  return async () => {
    const last = flush();
    frozen = true;
    await last.catch(() => {});
  };
}
