import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FileStore, readJournal } from '../../src/index.js';
import { createTestOrchestrator, type TestOrchestrator } from '../../src/testing/index.js';

/**
 * Faults injected into the journal's writes: the file system takes part of a write (what a
 * full disk does), then refuses the rest with ENOSPC. The handle's `write` is wrapped, so the
 * partial bytes really reach the file.
 */
type Write = (
  buffer: Buffer,
  offset: number,
  length: number,
  position: number,
) => Promise<{ bytesWritten: number }>;
let handlePrototype: { write: Write };

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'short-write-probe-'));
  const handle = await open(join(dir, 'probe'), 'w');
  handlePrototype = Object.getPrototypeOf(handle);
  await handle.close();
  await rm(dir, { recursive: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** Journal writes are told apart by their content: a header or records. */
const isJournalWrite = (buffer: Buffer) =>
  /^\{"(format|type)"/.test(buffer.toString('utf8', 0, 12));

/**
 * From the `at`-th journal write on (1-based), half of it is written, then ENOSPC, until
 * `heal()`; `writes()` counts the journal writes seen.
 */
function injectShortWrites(at: number) {
  const original = handlePrototype.write;
  let seen = 0;
  let failing = false;
  let healed = false;
  vi.spyOn(handlePrototype, 'write').mockImplementation(async function (
    this: unknown,
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
  ) {
    if (!Buffer.isBuffer(buffer) || !isJournalWrite(buffer) || healed) {
      return original.call(this, buffer, offset, length, position);
    }
    if (failing) {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
        code: 'ENOSPC',
        errno: -28,
      });
    }
    if (++seen !== at) return original.call(this, buffer, offset, length, position);
    failing = true;
    return original.call(this, buffer, offset, Math.max(1, Math.floor(length / 2)), position);
  });
  return {
    writes: () => seen,
    fired: () => failing,
    heal: () => {
      healed = true;
    },
  };
}

const plan = {
  id: 'short',
  maxParallel: 2,
  jobs: [
    { id: 'A' },
    { id: 'B' },
    { id: 'C', dependsOn: ['A'] },
    { id: 'D', dependsOn: ['B', 'C'] },
  ],
};

/** Every line of the file is a whole JSON value, and the file ends at a line's end. */
async function expectWholeLines(path: string) {
  const text = await readFile(path, 'utf8').catch(() => '');
  if (text === '') return;
  expect(text.endsWith('\n'), `${path} ends with a whole line`).toBe(true);
  for (const line of text.slice(0, -1).split('\n')) expect(() => JSON.parse(line)).not.toThrow();
}

/**
 * Drives the plan with real file I/O; on a persistence pause, checks the file, heals, resumes.
 * Says whether the plan paused at `persistence`, and whether it had completed (in memory, its
 * last records still to write) when the fault struck.
 */
async function runToEnd(
  kit: TestOrchestrator,
  store: FileStore,
  fault: ReturnType<typeof injectShortWrites>,
) {
  let pausedAtPersistence = false;
  let completedBeforeFault = false;
  for (let step = 0; step < 200 && kit.view().status !== 'completed'; step++) {
    await store.flush().catch(() => {});
    await kit.flush();
    const view = kit.view();
    if (view.status === 'paused' && view.checkpoint?.name === 'persistence') {
      pausedAtPersistence = true;
      expect(view.checkpoint.error.message).toBe(
        `Could not write plan state to ${store.path}: ENOSPC: no space left on device, write`,
      );
      await expectWholeLines(store.path);
      // A restart now would restore every whole record, and warn of nothing.
      if (fault.writes() > 1) expect((await readJournal(store.path)).warnings).toEqual([]);
      fault.heal();
      expect(kit.send({ type: 'RESUME' })).toEqual({ accepted: true });
      continue;
    }
    const attempt = kit.pending()[0];
    if (attempt) attempt.resolve({ from: attempt.attemptId, pad: 'x'.repeat(200) });
  }
  // The last records of a completed plan: a failed write of them is cut back and written again.
  const last = await store.flush().catch((error: unknown) => error);
  if (last) {
    completedBeforeFault = !pausedAtPersistence;
    expect(last).toMatchObject({ code: 'PERSISTENCE_FAILED', path: store.path });
    await expectWholeLines(store.path);
    fault.heal();
    await store.flush();
  }
  return { pausedAtPersistence, completedBeforeFault };
}

describe('a short write to the journal (the disk took part of it, then ENOSPC)', () => {
  it('is never counted durable: at every flush position the file keeps only whole records, the plan pauses at persistence, and RESUME finishes it', async () => {
    // A clean run counts the journal writes: each is a position where the fault is injected.
    const counting = injectShortWrites(Number.POSITIVE_INFINITY);
    const cleanDir = await mkdtemp(join(tmpdir(), 'short-write-'));
    const clean = new FileStore(cleanDir);
    const cleanKit = createTestOrchestrator(plan, { store: clean });
    await cleanKit.start();
    await runToEnd(cleanKit, clean, counting);
    expect(cleanKit.view().status).toBe('completed');
    const positions = counting.writes();
    const cleanJournal = await readJournal(clean.path);
    await clean.relinquish();
    await rm(cleanDir, { recursive: true });
    vi.restoreAllMocks();
    expect(positions).toBeGreaterThan(5);

    let pauses = 0;
    for (let at = 1; at <= positions; at++) {
      const dir = await mkdtemp(join(tmpdir(), 'short-write-'));
      const fault = injectShortWrites(at);
      const store = new FileStore(dir);
      const kit = createTestOrchestrator(plan, { store });
      await kit.start();
      const { pausedAtPersistence, completedBeforeFault } = await runToEnd(kit, store, fault);
      expect(fault.fired(), `fault at write ${at}`).toBe(true);
      expect(pausedAtPersistence || completedBeforeFault, `fault at write ${at}`).toBe(true);
      if (pausedAtPersistence) pauses++;
      expect(kit.view().status).toBe('completed');
      await store.relinquish();
      const journal = await readJournal(store.path);
      expect(journal.warnings).toEqual([]);
      // The same facts as the clean run (each once), besides the pause and resume the fault caused.
      const facts = (records: typeof journal.records) =>
        records
          .filter(
            (r) =>
              !['persistence-failed', 'plan-paused', 'plan-resumed', 'command-accepted'].includes(
                r.type,
              ),
          )
          .map((r) => `${r.type} ${'jobId' in r ? r.jobId : ''}`)
          .sort();
      expect(facts(journal.records), `fault at write ${at}`).toEqual(facts(cleanJournal.records));
      expect(journal.records.map((r) => r.seq)).toEqual(journal.records.map((_, i) => i + 1));
      kit.checkInvariants();
      vi.restoreAllMocks();
      await rm(dir, { recursive: true });
    }
    // Only the writes of a completed plan's last records (the pass that ended it, then the prompt
    // write of what followed) come after the plan could pause.
    expect(pauses).toBe(positions - 2);
  });

  it('writes the rest when the file system takes a write in parts, and counts it durable only then', async () => {
    const original = handlePrototype.write;
    const sizes: number[] = [];
    vi.spyOn(handlePrototype, 'write').mockImplementation(async function (
      this: unknown,
      buffer: Buffer,
      offset: number,
      length: number,
      position: number,
    ) {
      // Seven bytes at a time, as a file system under pressure may take them.
      const part = Buffer.isBuffer(buffer) && isJournalWrite(buffer) ? Math.min(7, length) : length;
      sizes.push(part);
      return original.call(this, buffer, offset, part, position);
    });
    const dir = await mkdtemp(join(tmpdir(), 'short-write-'));
    const store = new FileStore(dir);
    const kit = createTestOrchestrator(plan, { store });
    await kit.start();
    for (let step = 0; step < 50 && kit.view().status !== 'completed'; step++) {
      await store.flush();
      await kit.flush();
      kit.pending()[0]?.resolve('done');
    }
    expect(kit.view().status).toBe('completed');
    // The plan's last records may still be going in, seven bytes at a time.
    await store.flush();
    expect(sizes.filter((size) => size === 7).length).toBeGreaterThan(100);
    const journal = await readJournal(store.path);
    console.log(
      JSON.stringify(journal.records.map((r) => r.type)),
      JSON.stringify((await import('node:fs')).readFileSync(store.path, 'utf8').slice(-200)),
    );
    expect(journal.warnings).toEqual([]);
    expect(journal.records.at(-1)?.type).toBe('plan-completed');
    await store.relinquish();
    await rm(dir, { recursive: true });
  });
});

describe('a failed snapshot write', () => {
  it('removes its temporary file and keeps the old snapshot', async () => {
    const { MemoryStore } = await import('../../src/index.js');
    const memory = new MemoryStore();
    const kit = createTestOrchestrator(
      { id: 'p', jobs: [{ id: 'A' }, { id: 'B' }, { id: 'C' }] },
      { store: memory, snapshotEvery: 2 },
    );
    await kit.start();
    await kit.complete('A');
    const older = JSON.parse(memory.snapshot!);
    const newer = { ...older, seq: older.seq + 1 };

    const dir = await mkdtemp(join(tmpdir(), 'short-write-'));
    const store = new FileStore(dir);
    await store.writeSnapshot(older);
    const original = handlePrototype.write;
    vi.spyOn(handlePrototype, 'write').mockImplementation(async function (
      this: unknown,
      buffer: Buffer,
      offset: number,
      length: number,
      position: number,
    ) {
      if (Buffer.isBuffer(buffer) && buffer.toString('utf8', 0, 17) === '{"format":1,"seq"') {
        await original.call(this, buffer, offset, Math.floor(length / 2), position);
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
          code: 'ENOSPC',
        });
      }
      return original.call(this, buffer, offset, length, position);
    });
    await expect(store.writeSnapshot(newer)).rejects.toMatchObject({
      code: 'PERSISTENCE_FAILED',
      path: store.snapshotPath,
      message: `Could not write plan state to ${store.snapshotPath}: ENOSPC: no space left on device, write`,
    });
    vi.restoreAllMocks();
    expect(JSON.parse(await readFile(store.snapshotPath, 'utf8'))).toEqual(older);
    await expect(readFile(`${store.snapshotPath}.tmp`)).rejects.toMatchObject({ code: 'ENOENT' });
    await rm(dir, { recursive: true });
  });
});
