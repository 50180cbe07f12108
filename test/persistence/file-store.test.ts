import { readdirSync, readlinkSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createOrchestrator,
  FileStore,
  MemoryStore,
  RestoreError,
  readJournal,
  type Store,
} from '../../src/index.js';
import {
  createTestOrchestrator,
  resumeTestOrchestrator,
  TestClock,
  type TestOrchestrator,
} from '../../src/testing/index.js';
import { goldenPlan, pausedRetryPlan } from '../fixtures/golden-plan.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'journals');
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plan-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Lets file writes finish and the plan act on them (real I/O, no timers involved). */
async function settle(kit: TestOrchestrator, store: Store) {
  for (let i = 0; i < 3; i++) {
    await store.flush();
    await kit.flush();
  }
}

describe('FileStore', () => {
  it('creates a private folder and journal, and writes a pass with one flush before its jobs start', async () => {
    const store = new FileStore(join(dir, 'state'));
    const kit = createTestOrchestrator(
      { id: 'p', maxParallel: 3, jobs: [{ id: 'A' }, { id: 'B' }, { id: 'C' }] },
      { store },
    );
    await kit.start();
    expect(kit.pending()).toEqual([]); // nothing starts before its attempt-started record is durable
    await settle(kit, store);
    expect(kit.pending().map((a) => a.attemptId)).toEqual(['A#1', 'B#1', 'C#1']);
    expect((await stat(join(dir, 'state'))).mode & 0o777).toBe(0o700);
    expect((await stat(store.path)).mode & 0o777).toBe(0o600);
    const journal = await readJournal(store.path);
    expect(journal.records.filter((r) => r.type === 'attempt-started')).toHaveLength(3);
    kit.checkInvariants();
  });

  it('reads back only the records after the snapshot, checking those it reads', async () => {
    // A plan run on a memory store, then written out as a FileStore would have written it.
    const memory = new MemoryStore();
    const plan = { id: 'p', jobs: [{ id: 'A' }, { id: 'B', dependsOn: ['A'] }, { id: 'C' }] };
    const kit = createTestOrchestrator(plan, { store: memory, snapshotEvery: 5 });
    await kit.start();
    await kit.complete('A');
    const store = new FileStore(dir);
    store.begin(memory.header!);
    store.append(memory.records);
    await store.flush();
    const written = JSON.parse(memory.snapshot!);
    await store.writeSnapshot(written);

    const { snapshot, records } = await store.load();
    expect(snapshot!.seq).toBe(written.seq);
    expect(records.map((r) => r.seq)).toEqual(
      memory.records.filter((r) => r.seq > written.seq).map((r) => r.seq),
    );
    expect(records.length).toBeGreaterThan(0);

    // The lines the snapshot covers are not parsed; a damaged line after it is still found.
    const lines = (await readFile(store.path, 'utf8')).split('\n');
    lines[1] = 'covered by the snapshot';
    await writeFile(store.path, lines.join('\n'));
    expect((await new FileStore(dir).load()).records).toEqual(records);
    lines[written.seq + 1] = 'damaged';
    await writeFile(store.path, lines.join('\n'));
    await expect(new FileStore(dir).load()).rejects.toThrow(
      `${store.path}:${written.seq + 2}: the line is not valid JSON`,
    );
  });

  it('replays into the same view as the live run, and resumes a plan to completion', async () => {
    const store = new FileStore(dir);
    const kit = createTestOrchestrator(
      { id: 'p', jobs: [{ id: 'A' }, { id: 'B', dependsOn: ['A'] }] },
      { store },
    );
    await kit.start();
    await settle(kit, store);
    await kit.complete('A', { n: 1 });
    await settle(kit, store);
    const { records } = await readJournal(store.path);
    expect(records.map((r) => r.seq)).toEqual(kit.records.map((r) => r.seq));

    await store.relinquish(); // the first process is gone: its folder may be taken
    const resumed = await resumeTestOrchestrator(
      { id: 'p', jobs: [{ id: 'A' }, { id: 'B', dependsOn: ['A'] }] },
      new FileStore(dir),
    );
    await resumed.start();
    await settle(resumed, resumed.store!);
    expect(resumed.sequence(/^(interrupted|start)/)).toEqual(['interrupted B#1', 'start B#2']);
    await resumed.complete('B');
    await settle(resumed, resumed.store!);
    expect(resumed.view()).toMatchObject({
      status: 'completed',
      jobs: [{ output: { n: 1 } }, { attempt: 2 }],
    });
    resumed.checkInvariants();
  });

  it('keeps restoring the golden journal of format 1', async () => {
    await mkdir(join(dir, 'golden'));
    await copyFile(join(fixtures, 'golden', 'journal.jsonl'), join(dir, 'golden', 'journal.jsonl'));
    const store = new FileStore(join(dir, 'golden'));
    const kit = await resumeTestOrchestrator(goldenPlan, store, { clock: new TestClock(3_000) });
    await kit.start();
    await settle(kit, store);
    expect(kit.sequence(/^(restored|interrupted|integrate|start)/)).toEqual([
      'restored from 19',
      'interrupted test@1',
      'interrupted docs#1',
      'start docs#2',
      'integrate test@2',
    ]);
    expect(kit.pendingHooks().map((c) => `${c.hook} ${c.jobId}`)).toEqual(['rollback test']);
    expect(kit.view().jobs.map((j) => [j.id, j.status])).toEqual([
      ['build', 'succeeded'],
      ['lint', 'retrying'],
      ['test', 'integrating'],
      ['docs', 'running'],
    ]);
    // lint failed at t=1000 with a 5 s delay: it starts again at t=6000.
    kit.clock.advance(2999);
    await settle(kit, store);
    expect(kit.pending().map((a) => a.attemptId)).toEqual(['docs#2']);
    kit.clock.advance(1);
    await settle(kit, store);
    expect(kit.pending().map((a) => a.attemptId)).toEqual(['docs#2', 'lint#2']);
    kit.checkInvariants();
  });

  it('restores a snapshot of the previous version whose retry fell due while paused, and starts that retry on RESUME', async () => {
    const state = join(dir, 'paused-retry');
    await mkdir(state);
    for (const file of ['journal.jsonl', 'snapshot.json']) {
      await copyFile(join(fixtures, 'paused-retry', file), join(state, file));
    }
    const store = new FileStore(state);
    const kit = await resumeTestOrchestrator(pausedRetryPlan, store, {
      clock: new TestClock(7_000),
    });
    await kit.start();
    await settle(kit, store);
    expect(kit.sequence(/^restored/)).toEqual(['restored from 12']);
    expect(kit.view().status).toBe('paused');
    expect(kit.pending()).toEqual([]);
    expect(kit.send({ type: 'RESUME' })).toEqual({ accepted: true });
    await settle(kit, store);
    await kit.advance(0); // the job's actor waits out what is left of its delay: nothing
    await settle(kit, store);
    expect(kit.sequence(/^(due|start)/)).toEqual(['due lint#2', 'start lint#2']);
    expect(kit.pending().map((a) => a.attemptId)).toEqual(['lint#2']);
    await kit.complete('lint');
    await settle(kit, store);
    expect(kit.view()).toMatchObject({
      status: 'completed',
      jobs: [
        { id: 'lint', status: 'succeeded', attempt: 2 },
        { id: 'docs', status: 'succeeded', attempt: 1 },
      ],
    });
  });

  it('drops a torn last line with a warning and restores the rest', async () => {
    const journal = await readJournal(join(fixtures, 'torn-last-line.jsonl'));
    expect(journal.records).toHaveLength(19);
    expect(journal.warnings).toEqual([
      `${join(fixtures, 'torn-last-line.jsonl')}:21: dropped a torn last line (the process stopped while writing it)`,
    ]);
  });

  for (const [file, line, problem] of [
    ['bad-json-mid.jsonl', 4, 'the line is not valid JSON'],
    ['unknown-format.jsonl', 1, 'unknown format version 99 (this version reads 1)'],
    ['unknown-job.jsonl', 3, 'record job-queued names job "ghost", which the plan does not have'],
    ['seq-gap.jsonl', 6, 'record seq 6 where 5 was expected'],
    ['empty.jsonl', null, 'the journal is empty'],
    ['null-line.jsonl', 4, 'the line is not a record (an object with a seq and a type): null'],
    ['header-without-input.jsonl', 1, 'the journal header has no input.jobs (a list of the jobs)'],
    [
      'unknown-type.jsonl',
      5,
      'unknown record type "job-teleported"; this version does not write it',
    ],
    ['no-seq.jsonl', 3, 'the record has no integer seq (got undefined)'],
    ['no-job.jsonl', 3, 'record job-queued has no jobId (a string)'],
    ['missing.jsonl', null, 'the journal does not exist'],
  ] as const) {
    it(`refuses ${file} with a RestoreError naming the file, line and problem`, async () => {
      const path = join(fixtures, file);
      const error = await readJournal(path).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RestoreError);
      expect(error).toMatchObject({ code: 'RESTORE_FAILED', file: path, line, problem });
      expect((error as Error).message).toBe(
        `Cannot restore from ${path}${line ? `:${line}` : ''}: ${problem}`,
      );
    });
  }
});

describe('write failures', () => {
  /** A store whose flushes fail while `failing` is set, with the error a full disk gives. */
  class FlakyStore extends MemoryStore {
    failing = false;
    override async flush(): Promise<void> {
      if (this.failing)
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
          code: 'ENOSPC',
        });
    }
  }

  it('pause the plan at the persistence checkpoint; RESUME writes again and the plan goes on', async () => {
    const store = new FlakyStore();
    const kit = createTestOrchestrator(
      { id: 'p', maxParallel: 1, jobs: [{ id: 'A' }, { id: 'B' }] },
      { store },
    );
    await kit.start();
    store.failing = true;
    await kit.complete('A');
    expect(kit.view()).toMatchObject({
      status: 'paused',
      checkpoint: {
        name: 'persistence',
        error: { message: 'ENOSPC: no space left on device, write' },
      },
    });
    expect(kit.pending()).toEqual([]); // B was decided but does not start until its record is stored
    expect(kit.send({ type: 'APPROVE' })).toMatchObject({ accepted: false });
    store.failing = false;
    expect(kit.send({ type: 'RESUME' })).toEqual({ accepted: true });
    await kit.flush();
    expect(kit.pending().map((a) => a.attemptId)).toEqual(['B#1']);
    await kit.complete('B');
    expect(kit.view().status).toBe('completed');
    kit.checkInvariants();
  });

  it('name the journal path, and keep the lines to write them later', async () => {
    const store = new FileStore(join(dir, 'state'));
    store.begin({
      format: 1,
      planId: 'p',
      input: {
        planId: 'p',
        mode: 'autopilot',
        maxParallel: 1,
        onJobFailure: 'pause',
        onSkip: 'block',
        integration: null,
        finalize: false,
        jobs: [],
      },
    });
    await mkdir(join(dir, 'state', 'journal.jsonl'), { recursive: true }); // a folder where the file should be
    await expect(store.flush()).rejects.toMatchObject({
      code: 'PERSISTENCE_FAILED',
      path: store.path,
    });
    await rm(join(dir, 'state', 'journal.jsonl'), { recursive: true });
    await store.flush();
    expect((await readFile(store.path, 'utf8')).split('\n')[0]).toContain('"format":1');
  });
});

describe('a new plan in a folder that holds a journal', () => {
  it('does not write into it: the plan holds at the persistence checkpoint, naming the path', async () => {
    await mkdir(join(dir, 'state'));
    await copyFile(join(fixtures, 'golden', 'journal.jsonl'), join(dir, 'state', 'journal.jsonl'));
    const store = new FileStore(join(dir, 'state'));
    const kit = createTestOrchestrator({ id: 'p', jobs: [{ id: 'A' }] }, { store });
    await kit.start();
    await expect(store.flush()).rejects.toThrow('a journal is already there');
    await kit.flush();
    expect(kit.view().checkpoint).toEqual({
      name: 'persistence',
      error: {
        name: 'PersistenceError',
        code: 'PERSISTENCE_FAILED',
        message: `Could not write plan state to ${store.path}: a journal is already there; resume it with resumeOrchestrator, or use another folder`,
        data: { path: store.path },
      },
    });
    expect(kit.pending()).toEqual([]);
    expect((await readJournal(store.path)).header.planId).toBe('golden');
  });
});

describe('outputs that cannot be stored', () => {
  it('fail the job at once, naming the job and the path inside the output', async () => {
    const kit = createTestOrchestrator(
      {
        id: 'p',
        jobs: [
          {
            id: 'A',
            retry: { maxAttempts: 3 },
            run: async () => ({ items: [1, { when: () => 0 }] }),
          },
        ],
      },
      { store: new MemoryStore() },
    );
    await kit.start();
    await kit.flush();
    expect(kit.view().jobs[0]).toMatchObject({
      status: 'failed',
      attempt: 1,
      failure: {
        error: {
          code: 'JOB_NON_RETRYABLE',
          message:
            'Job "A" returned an output that cannot be stored: output.items[1].when: a function; return plain JSON data',
        },
      },
    });
  });
});

describe('the journal file', () => {
  /** File descriptors of this process open on `path`, read at once (Linux: /proc/self/fd). */
  function openOn(path: string): number {
    const fds = readdirSync('/proc/self/fd');
    return fds.filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === path;
      } catch {
        return false; // the descriptor readdir itself used is gone
      }
    }).length;
  }

  it('stays open from one flush to the next while the plan runs, and is closed when it ends', async () => {
    const store = new FileStore(join(dir, 'state'));
    const openWhileRunning: number[] = [];
    const run = async () => void openWhileRunning.push(openOn(store.path));
    const orchestrator = createOrchestrator(
      {
        id: 'p',
        jobs: [
          { id: 'A', run },
          { id: 'B', dependsOn: ['A'], run },
        ],
      },
      { store },
    );
    orchestrator.start();
    expect((await orchestrator.whenSettled()).status).toBe('completed');
    // Each job starts just after its start was made durable: the journal is still open.
    expect(openWhileRunning).toEqual([1, 1]);
    expect(openOn(store.path)).toBe(0);
    expect((await readJournal(store.path)).records.at(-1)?.type).toBe('plan-completed');
  });

  it('is closed while the plan waits, once a turn of the event loop passes without a flush', async () => {
    const store = new FileStore(join(dir, 'state'));
    const orchestrator = createOrchestrator(
      { id: 'p', mode: 'copilot', jobs: [{ id: 'A', run: async () => {} }] },
      { store },
    );
    orchestrator.start();
    await store.flush(); // after the plan's own flush: the plan now waits for APPROVE
    expect(openOn(store.path)).toBe(1);
    // The close is asked for one turn after the last flush and done by the thread pool: give it
    // turns of the event loop (no wall time), during which the waiting plan writes nothing.
    for (let turn = 0; turn < 1000 && openOn(store.path) > 0; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(openOn(store.path)).toBe(0);
    orchestrator.send({ type: 'APPROVE' });
    expect((await orchestrator.whenSettled()).status).toBe('completed');
  });
});
