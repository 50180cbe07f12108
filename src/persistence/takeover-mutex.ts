import { createHash } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/** How long a taker waits for another to finish taking the same folder over, at most. */
const WAIT_MS = 2000;
const RETRY_MS = 5;

/**
 * Lets one process at a time take over a state folder's stale lock. Replacing a lock file is
 * a read, a check and a write: two takers could both see the same stale lock and both replace it.
 * The mutex is a socket bound in Linux's abstract namespace under a name derived from the
 * folder's real path: the kernel lets one process bind a name, and frees it the moment that
 * process dies, so the mutex itself can never go stale. Elsewhere (no abstract namespace) the
 * takeover runs without it, as before.
 */
export async function withTakeoverMutex<T>(dir: string, body: () => Promise<T>): Promise<T> {
  if (process.platform !== 'linux') return body();
  const name = `\0plan-orchestrator-takeover-${createHash('sha256')
    .update(await realpath(dir))
    .digest('hex')
    .slice(0, 32)}`;
  const server = await bind(name);
  try {
    return await body();
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Binds the name, waiting while another process holds it. */
async function bind(name: string): Promise<Server> {
  for (let waited = 0; ; waited += RETRY_MS) {
    const server = createServer();
    const taken = await new Promise<boolean>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'EADDRINUSE') resolve(false);
        else reject(error);
      });
      server.listen(name, () => resolve(true));
    });
    if (taken) {
      server.unref(); // the mutex never keeps the process alive
      return server;
    }
    if (waited >= WAIT_MS) {
      throw new Error(`another process has been taking this state folder over for ${WAIT_MS} ms`);
    }
    await delay(RETRY_MS);
  }
}
