import { randomUUID } from 'node:crypto';
import { lstatSync, readFileSync, unlinkSync } from 'node:fs';
import { link, lstat, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { StateLockedError, type StateOwner } from '../shared/errors.js';
import { createPrivateFileWith, ensurePrivateFolder, readStateFile } from './private-file.js';
import { withTakeoverMutex } from './takeover-mutex.js';

/** The lock file of a state folder: it names the one process that owns the folder. */
export const LOCK_FILE = 'owner.lock';

/** Locks this process holds, removed when it exits however it exits (short of SIGKILL). */
const held = new Set<FolderLock>();
let exitHandlerInstalled = false;

function releaseAllOnExit(): void {
  for (const lock of held) lock.releaseNow();
}

/**
 * One owner per state folder. The lock file is put in place whole with `link` (which, like
 * O_EXCL, fails when anything is there), so a lock is never seen half written. A lock whose
 * process is gone from this host is stale and taken over: one taker at a time (the takeover
 * mutex) checks that the lock is still the stale one it read and renames its own over it, so two
 * takers never both win and the lock file is never missing meanwhile.
 */
export class FolderLock {
  readonly path: string;
  private mine: StateOwner | null = null;
  /** The owner whose lock `releaseNow` removes at exit (kept until `release` has removed it). */
  private lastOwner: StateOwner | null = null;
  private releasing: Promise<void> = Promise.resolve();
  /** The lock file as this owner placed it (inode, size, change time). */
  private placed: string | null = null;

  constructor(readonly dir: string) {
    this.path = join(dir, LOCK_FILE);
  }

  /** The owner this lock holds the folder for, when it does. */
  get owner(): StateOwner | null {
    return this.mine;
  }

  /** Takes the folder (creating it, private, if needed); a no-op when this lock holds it. */
  async acquire(): Promise<void> {
    if (this.mine) return;
    await ensurePrivateFolder(this.dir);
    const me: StateOwner = {
      pid: process.pid,
      host: hostname(),
      startedAt: new Date().toISOString(),
      ownerId: randomUUID(),
    };
    const processStart = processStartOf(process.pid);
    if (processStart !== null) me.processStart = processStart;
    const text = `${JSON.stringify(me)}\n`;
    for (let round = 0; round < 5; round++) {
      if (await this.place(text, me.ownerId)) return this.hold(me);
      const found = await readLock(this.path);
      if (found === null) continue; // released in between: try again
      const owner = parseOwner(found);
      if (!owner) {
        throw new StateLockedError(
          this.dir,
          null,
          `State folder ${this.dir} has a damaged lock file ${this.path}; if no process uses the folder, delete that file`,
        );
      }
      if (ownerState(owner) !== 'gone') throw lockedBy(this.dir, this.path, owner);
      const replaced = await withTakeoverMutex(this.dir, () =>
        this.replaceStale(found, text, me.ownerId),
      ).catch((error: unknown) => {
        throw new StateLockedError(this.dir, null, `State folder ${this.dir}: ${String(error)}`);
      });
      if (replaced) return this.hold(me);
    }
    throw new StateLockedError(
      this.dir,
      null,
      `State folder ${this.dir}: other processes keep taking its lock; try again`,
    );
  }

  private async hold(me: StateOwner): Promise<void> {
    this.placed = fingerprint(await lstat(this.path));
    this.mine = me;
    this.lastOwner = me;
    held.add(this);
    if (!exitHandlerInstalled) {
      exitHandlerInstalled = true;
      process.on('exit', releaseAllOnExit);
    }
  }

  /**
   * Replaces a stale lock with this owner's, holding the takeover mutex: only if the lock is still
   * the stale one that was read (another taker may have been first). The rename replaces it in
   * one step, so the lock file is never absent and no placer can slip in.
   */
  private async replaceStale(stale: string, text: string, ownerId: string): Promise<boolean> {
    if ((await readLock(this.path)) !== stale) return false;
    const draft = `${this.path}.${ownerId}`;
    await createPrivateFileWith(draft, text);
    try {
      await rename(draft, this.path);
      return true;
    } catch (error) {
      await unlink(draft).catch(() => {});
      throw error;
    }
  }

  /** Puts the lock in place whole; false when a lock is already there. */
  private async place(text: string, ownerId: string): Promise<boolean> {
    const draft = `${this.path}.${ownerId}`;
    await createPrivateFileWith(draft, text);
    try {
      await link(draft, this.path);
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === 'EEXIST') return false;
      throw error;
    } finally {
      await unlink(draft).catch(() => {});
    }
  }

  /**
   * Whether the lock file is still exactly as this owner placed it, told by one `lstat` made at
   * once rather than on the disk's thread pool: it stands before every journal write, and a trip
   * through the pool took about half as long as the write and its sync together (and held the
   * write back). False sends the caller to `confirm`, which reads the file and decides.
   */
  stillPlaced(): boolean {
    if (!this.mine || this.placed === null) return false;
    try {
      const info = lstatSync(this.path, { throwIfNoEntry: false });
      return info?.isFile() === true && fingerprint(info) === this.placed;
    } catch {
      return false;
    }
  }

  /**
   * Rejects with a `StateLockedError` unless the lock file still names this owner: a store checks
   * it before every write, so an owner whose lock was taken from it (deleted by hand, or judged
   * stale wrongly) writes nothing more into the folder.
   */
  async confirm(): Promise<void> {
    const me = this.mine;
    // The lock file stays as placed while it is ours: one lstat tells, read only on a change.
    const info = await lstat(this.path).catch(() => null);
    if (me && info?.isFile() && fingerprint(info) === this.placed) return;
    const found = await readLock(this.path).catch(() => null);
    const owner = found === null ? null : parseOwner(found);
    if (me && owner?.ownerId === me.ownerId) {
      this.placed = info ? fingerprint(info) : null;
      return;
    }
    this.mine = null;
    held.delete(this);
    throw owner
      ? new StateLockedError(
          this.dir,
          owner,
          `State folder ${this.dir} was taken over by process ${owner.pid} on ${owner.host === hostname() ? 'this host' : `host ${owner.host}`} (owner since ${owner.startedAt}); this process writes nothing more there`,
        )
      : new StateLockedError(
          this.dir,
          null,
          `State folder ${this.dir} lost its lock file ${this.path} (deleted while this process owned it); this process writes nothing more there`,
        );
  }

  /**
   * Gives the folder up; the lock file goes only if it is still this owner's. Every call made
   * meanwhile waits for the same removal (a process may exit right after any of them).
   */
  release(): Promise<void> {
    const me = this.mine;
    if (!me) return this.releasing;
    this.mine = null;
    this.releasing = (async () => {
      const found = await readLock(this.path).catch(() => null);
      if (found !== null && parseOwner(found)?.ownerId === me.ownerId) {
        await unlink(this.path).catch(() => {});
      }
    })().finally(() => {
      if (!this.mine) held.delete(this);
    });
    return this.releasing;
  }

  /** `release`, synchronously, for the process's exit. */
  releaseNow(): void {
    const me = this.lastOwner;
    if (!me) return;
    this.mine = null;
    held.delete(this);
    try {
      if (parseOwner(readFileSync(this.path, 'utf8'))?.ownerId === me.ownerId) {
        unlinkSync(this.path);
      }
    } catch {
      // Nothing to release: the lock is gone already.
    }
  }
}

/** Who owns a state folder now, if a live process does (read only; takes nothing). */
export async function liveOwnerOf(dir: string): Promise<StateOwner | null> {
  const found = await readLock(join(dir, LOCK_FILE));
  const owner = found === null ? null : parseOwner(found);
  return owner && ownerState(owner) !== 'gone' ? owner : null;
}

/** The refusal naming the owner and what to do. */
export function lockedBy(dir: string, lockPath: string, owner: StateOwner): StateLockedError {
  const where =
    owner.host === hostname()
      ? `on this host`
      : `on host ${owner.host}, which cannot be checked from here`;
  return new StateLockedError(
    dir,
    owner,
    `State folder ${dir} is in use by process ${owner.pid} ${where} (owner since ${owner.startedAt}); ` +
      `wait for that process to end or stop it; if it is gone, delete ${lockPath}`,
  );
}

function fingerprint(info: { ino: number; size: number; mtimeMs: number; ctimeMs: number }) {
  return `${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}`;
}

async function readLock(path: string): Promise<string | null> {
  try {
    return await readStateFile(path);
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return null;
    throw error;
  }
}

function parseOwner(text: string): StateOwner | null {
  try {
    const value = JSON.parse(text) as Partial<StateOwner> | null;
    if (
      value &&
      Number.isInteger(value.pid) &&
      typeof value.host === 'string' &&
      typeof value.startedAt === 'string' &&
      typeof value.ownerId === 'string'
    ) {
      return value as StateOwner;
    }
  } catch {
    // A damaged lock: the caller says so.
  }
  return null;
}

/**
 * Whether a lock's process still runs. A process on another host cannot be checked: it counts
 * as alive. A pid can be reused (a container restarted runs its command under the same small
 * pid again): a lock naming this very process is alive only if this process holds it, and one
 * naming a process that started at another time than the pid's process did is gone.
 */
function ownerState(owner: StateOwner): 'alive' | 'gone' | 'unknown' {
  if (owner.host !== hostname()) return 'unknown';
  if (owner.pid === process.pid) {
    return [...held].some((lock) => lock.owner?.ownerId === owner.ownerId) ? 'alive' : 'gone';
  }
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as { code?: string }).code === 'ESRCH') return 'gone';
  }
  const started = processStartOf(owner.pid);
  if (owner.processStart !== undefined && started !== null && started !== owner.processStart) {
    return 'gone';
  }
  return 'alive';
}

/** A process's start time in clock ticks since boot, from /proc (Linux); null elsewhere. */
function processStartOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), from field 3 on; starttime is field 22.
    const start = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    return Number.isSafeInteger(start) ? start : null;
  } catch {
    return null;
  }
}
