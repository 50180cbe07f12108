import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStore, StateLockedError } from '../../src/index.js';
import { createTestOrchestrator } from '../../src/testing/index.js';

let dir: string;
let lock: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'folder-lock-'));
  await mkdir(join(dir, 'state'));
  lock = join(dir, 'state', 'owner.lock');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The pid of a process that has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  return child.pid!;
}

const ownerLine = (pid: number, host = hostname()) =>
  `${JSON.stringify({ pid, host, startedAt: '2026-01-01T00:00:00.000Z', ownerId: `owner-${pid}` })}\n`;

describe('the owner lock of a state folder', () => {
  it('is taken over from a process that is gone by exactly one of several racers', async () => {
    const gone = deadPid();
    for (let round = 0; round < 25; round++) {
      await writeFile(lock, ownerLine(gone));
      const stores = Array.from({ length: 4 }, () => new FileStore(join(dir, 'state')));
      const outcomes = await Promise.allSettled(stores.map((store) => store.acquire()));
      const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      expect(won, `round ${round}`).toHaveLength(1);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') {
          expect(outcome.reason).toBeInstanceOf(StateLockedError);
          expect(outcome.reason.owner).toMatchObject({ pid: process.pid });
        }
      }
      const winner = stores[outcomes.findIndex((outcome) => outcome.status === 'fulfilled')]!;
      expect(JSON.parse(await readFile(lock, 'utf8'))).toEqual(
        (winner as unknown as { lock: { owner: unknown } }).lock.owner,
      );
      await winner.relinquish();
      // Nothing is left behind but the lock of the next round.
      expect(await readdir(join(dir, 'state'))).toEqual([]);
    }
  });

  it('naming this very process, though no owner here holds it (a restarted container), is taken over', async () => {
    await writeFile(lock, ownerLine(process.pid));
    const store = new FileStore(join(dir, 'state'));
    await store.acquire();
    expect(JSON.parse(await readFile(lock, 'utf8')).ownerId).not.toBe(`owner-${process.pid}`);
    await store.relinquish();
  });

  it('naming a running pid whose process started at another time (a reused pid) is taken over; without a start time it is refused', async () => {
    const reused = { pid: 1, host: hostname(), startedAt: '2026-01-01T00:00:00.000Z' };
    await writeFile(lock, JSON.stringify({ ...reused, ownerId: 'old', processStart: -1 }));
    const store = new FileStore(join(dir, 'state'));
    await store.acquire();
    await store.relinquish();
    await writeFile(lock, JSON.stringify({ ...reused, ownerId: 'old' }));
    await expect(new FileStore(join(dir, 'state')).acquire()).rejects.toThrow(
      'is in use by process 1 on this host',
    );
  });

  it('of a process on another host is never taken over: the refusal says how to clear it', async () => {
    await writeFile(lock, ownerLine(4242, 'build-agent-7'));
    const error = await new FileStore(join(dir, 'state')).acquire().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateLockedError);
    expect((error as Error).message).toBe(
      `State folder ${join(dir, 'state')} is in use by process 4242 on host build-agent-7, which cannot be checked from here (owner since 2026-01-01T00:00:00.000Z); wait for that process to end or stop it; if it is gone, delete ${lock}`,
    );
    expect(await readFile(lock, 'utf8')).toBe(ownerLine(4242, 'build-agent-7'));
  });

  it('that is damaged is refused, not guessed at', async () => {
    await writeFile(lock, '{"pid":');
    await expect(new FileStore(join(dir, 'state')).acquire()).rejects.toThrow(
      `State folder ${join(dir, 'state')} has a damaged lock file ${lock}; if no process uses the folder, delete that file`,
    );
  });

  it('held by another owner pauses a new plan at persistence naming the owner, and nothing is written', async () => {
    const owner = new FileStore(join(dir, 'state'));
    await owner.acquire();
    const store = new FileStore(join(dir, 'state'));
    const kit = createTestOrchestrator({ id: 'p', jobs: [{ id: 'A' }] }, { store });
    await kit.start();
    await expect(store.flush()).rejects.toThrow(
      `Could not write plan state to ${store.path}: State folder ${join(dir, 'state')} is in use by process ${process.pid} on this host`,
    );
    await kit.flush();
    expect(kit.view().checkpoint?.name).toBe('persistence');
    expect(kit.pending()).toEqual([]);
    expect(await readdir(join(dir, 'state'))).toEqual(['owner.lock']);
    await owner.relinquish();
  });
});

describe('an owner whose lock was taken from it', () => {
  it('writes nothing more: its next flush fails naming the new owner, and the journal is unchanged', async () => {
    const store = new FileStore(join(dir, 'state'));
    const kit = createTestOrchestrator(
      { id: 'p', maxParallel: 1, jobs: [{ id: 'A' }, { id: 'B' }] },
      { store },
    );
    await kit.start();
    await store.flush();
    await kit.flush();
    const journal = await readFile(store.path, 'utf8');
    await writeFile(lock, ownerLine(4242, 'other-host'));
    const failed = firstValueFrom(
      kit.orchestrator.events$.pipe(filter((record) => record.type === 'persistence-failed')),
    );
    await kit.complete('A');
    await failed; // the plan's own next flush met the takeover
    await kit.flush();
    expect(kit.view().checkpoint).toMatchObject({
      name: 'persistence',
      error: {
        message: `Could not write plan state to ${store.path}: State folder ${join(dir, 'state')} was taken over by process 4242 on host other-host (owner since 2026-01-01T00:00:00.000Z); this process writes nothing more there`,
      },
    });
    expect(kit.pending()).toEqual([]);
    expect(await readFile(store.path, 'utf8')).toBe(journal);
    // RESUME does not win the folder back.
    kit.send({ type: 'RESUME' });
    await expect(store.flush()).rejects.toThrow('gave the folder up; it writes no more');
    expect(await readFile(store.path, 'utf8')).toBe(journal);
  });
});
