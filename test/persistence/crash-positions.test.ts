import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryStore, type StampedRecord } from '../../src/index.js';
import {
  createTestOrchestrator,
  resumeTestOrchestrator,
  type TestOrchestrator,
  type TestPlanSpec,
} from '../../src/testing/index.js';

const FINISHED = ['completed', 'failed', 'canceled'];
const PLAN_ENDS = new Set(['plan-completed', 'plan-failed', 'plan-canceled']);

/**
 * What a doomed job's failure gets at `on_error`. A job to `retry` fails until it was retried
 * once (in any run of the plan: the fix outlives the crash, as a fixed bug would).
 */
type Decision = 'approve' | 'skip' | 'retry';

/**
 * Drives a plan to its end the same way every time: every attempt succeeds with `<id>-out`,
 * except each job's first attempt when the job is listed as flaky, and every attempt of a doomed
 * job; hooks succeed; delays pass. At `on_error` a doomed job gets its decision and any other
 * job is retried; every other checkpoint is approved.
 */
async function drive(
  kit: TestOrchestrator,
  flaky: ReadonlySet<string>,
  doomed: ReadonlyMap<string, Decision> = new Map(),
  fixed = new Set<string>(),
): Promise<void> {
  for (let step = 0; step < 500 && !FINISHED.includes(kit.view().status); step++) {
    const attempt = kit.pending()[0];
    const hook = kit.pendingHooks()[0];
    const checkpoint = kit.view().checkpoint;
    if (attempt) {
      if (doomed.has(attempt.jobId) && !fixed.has(attempt.jobId))
        attempt.reject(new Error('doomed'));
      else if (flaky.has(attempt.jobId) && attempt.attempt === 1)
        attempt.reject(new Error('flaky'));
      else attempt.resolve(`${attempt.jobId}-out`);
    } else if (hook) {
      hook.resolve();
    } else if (checkpoint?.name === 'on_error' && 'jobId' in checkpoint) {
      const decision = doomed.get(checkpoint.jobId);
      if (decision === 'skip') kit.send({ type: 'SKIP_JOB', jobId: checkpoint.jobId });
      else if (decision === 'approve') kit.send({ type: 'APPROVE' });
      else {
        fixed.add(checkpoint.jobId);
        kit.send({ type: 'RETRY_JOB', jobId: checkpoint.jobId });
      }
    } else if (kit.view().status === 'paused') {
      kit.send({ type: 'APPROVE' });
    } else {
      kit.clock.advance(1000);
    }
    await kit.flush();
  }
}

function outcome(kit: TestOrchestrator) {
  return kit.view().jobs.map((job) => [job.id, job.status, job.output]);
}

/** A memory store that keeps every snapshot it was given. */
class SnapshotHistory extends MemoryStore {
  readonly snapshots: string[] = [];
  override async writeSnapshot(
    snapshot: Parameters<MemoryStore['writeSnapshot']>[0],
  ): Promise<void> {
    await super.writeSnapshot(snapshot);
    this.snapshots.push(this.snapshot!);
  }
}

/**
 * The store of a process that died after `length` records: the journal cut there, and the last
 * snapshot written by then (a snapshot never covers records the journal does not hold).
 */
async function cut(store: SnapshotHistory, length: number): Promise<MemoryStore> {
  const copy = new MemoryStore();
  copy.begin(store.header!);
  copy.append(store.records.slice(0, length));
  const snapshots = store.snapshots.filter((text) => JSON.parse(text).seq <= length);
  copy.snapshot = snapshots.at(-1) ?? null;
  return copy;
}

async function checkEveryCrashPosition(
  plan: TestPlanSpec,
  flaky: ReadonlySet<string>,
  snapshotEvery?: number,
  doomed: ReadonlyMap<string, Decision> = new Map(),
) {
  const store = new SnapshotHistory();
  const reference = createTestOrchestrator(plan, {
    store,
    ...(snapshotEvery ? { snapshotEvery } : {}),
  });
  await reference.start();
  const fixed = new Set<string>();
  await drive(reference, flaky, doomed, fixed);
  const ended = reference.view().status;
  expect(ended).toBe(doomed.size > 0 ? ended : 'completed');
  expect(FINISHED).toContain(ended);
  const expected = outcome(reference);
  const journal: StampedRecord[] = store.records;
  if (snapshotEvery) expect(store.snapshots.length).toBeGreaterThan(2);

  for (let length = 1; length < journal.length; length++) {
    const prefix = journal.slice(0, length);
    if (prefix.some((r) => PLAN_ENDS.has(r.type))) continue;
    const kit = await resumeTestOrchestrator(plan, await cut(store, length));
    await kit.start();
    await drive(kit, flaky, doomed, fixed);
    expect(kit.view().status, `crash after record ${length}: nothing waits forever`).toBe(ended);
    // Under `fail` the plan ends with the first failure, and which one comes first depends on
    // which attempts the crash interrupted: the outcome is then only as certain as that.
    if (plan.onJobFailure !== 'fail') {
      expect(outcome(kit), `crash after record ${length}`).toEqual(expected);
    }
    kit.checkInvariants();

    const reran = new Map<string, number>();
    for (const r of kit.records)
      if (r.type === 'attempt-started') reran.set(r.jobId, (reran.get(r.jobId) ?? 0) + 1);
    for (const id of plan.jobs.map((j) => j.id)) {
      const succeeded = prefix.some(
        (r) => (r.type === 'job-succeeded' || r.type === 'job-ran') && r.jobId === id,
      );
      const started = prefix.filter((r) => r.type === 'attempt-started' && r.jobId === id);
      const last = started.at(-1);
      const ended = (r: StampedRecord) =>
        (r.type === 'job-succeeded' ||
          r.type === 'job-ran' ||
          r.type === 'attempt-failed' ||
          r.type === 'job-failed') &&
        r.jobId === id &&
        last?.type === 'attempt-started' &&
        r.attemptId === last.attemptId;
      const inFlight = last !== undefined && !prefix.some(ended);
      if (succeeded)
        expect(reran.get(id) ?? 0, `${id} succeeded before the crash at ${length}`).toBe(0);
      if (inFlight && !flaky.has(id) && !doomed.has(id))
        expect(
          reran.get(id) ?? 0,
          `${id} was running at the crash at ${length}`,
        ).toBeLessThanOrEqual(1);
    }
  }
}

describe('a crash after any journal record', () => {
  it('resumes to the outcome of an uncrashed run (diamond, retries, integration stage), for every position', async () => {
    const plan: TestPlanSpec = {
      id: 'crash',
      maxParallel: 2,
      defaultRetry: { maxAttempts: 2, initialDelayMs: 1000 },
      integration: { integrate: 'manual', check: 'manual', rollback: 'manual' },
      jobs: [
        { id: 'A' },
        { id: 'B', dependsOn: ['A'] },
        { id: 'C', dependsOn: ['A'] },
        { id: 'D', dependsOn: ['B', 'C'] },
        { id: 'E' },
        { id: 'F', dependsOn: ['E'] },
      ],
    };
    await checkEveryCrashPosition(plan, new Set(['C', 'E']));
  });

  it('resumes from a snapshot and the journal after it, for every position', async () => {
    const plan: TestPlanSpec = {
      id: 'crash-snapshots',
      maxParallel: 2,
      defaultRetry: { maxAttempts: 2, initialDelayMs: 1000 },
      integration: { integrate: 'manual', order: 'strict' },
      jobs: [
        { id: 'A' },
        { id: 'B', dependsOn: ['A'] },
        { id: 'C' },
        { id: 'D', dependsOn: ['C'] },
      ],
    };
    await checkEveryCrashPosition(plan, new Set(['B']), 5);
  });

  it('resumes to the same outcome in supervisor mode with finalize, for every position', async () => {
    const plan: TestPlanSpec = {
      id: 'crash-supervised',
      mode: 'supervisor',
      maxParallel: 3,
      integration: { integrate: 'manual', order: 'strict' },
      finalize: 'manual',
      jobs: [{ id: 'A' }, { id: 'B' }, { id: 'C', dependsOn: ['A', 'B'] }],
    };
    await checkEveryCrashPosition(plan, new Set());
  });

  it('resumes from every record of a group written together (failures, skips, approvals, retries, under each policy)', async () => {
    const jobs = [
      { id: 'a' },
      { id: 'b', dependsOn: ['a'] },
      { id: 'c', dependsOn: ['b'] },
      { id: 'd' },
      { id: 'e', dependsOn: ['d'] },
      { id: 'f', dependsOn: ['e', 'a'] },
      { id: 'g' },
      { id: 'h', dependsOn: ['g'] },
    ];
    const doomed = new Map<string, Decision>([
      ['a', 'approve'],
      ['d', 'skip'],
      ['g', 'retry'],
    ]);
    for (const onJobFailure of ['pause', 'continue', 'fail'] as const) {
      for (const onSkip of ['block', 'release'] as const) {
        const plan: TestPlanSpec = {
          id: `torn-${onJobFailure}`,
          maxParallel: 2,
          onJobFailure,
          onSkip,
          defaultRetry: { maxAttempts: 2, initialDelayMs: 100 },
          jobs,
        };
        await checkEveryCrashPosition(plan, new Set(['h']), undefined, doomed);
      }
    }
  });

  it('resumes random plans cut at random positions to the uncrashed outcome', async () => {
    const planArb = fc
      .record({
        size: fc.integer({ min: 2, max: 10 }),
        maxParallel: fc.integer({ min: 1, max: 4 }),
        edges: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 20 }),
        stage: fc.boolean(),
        flaky: fc.array(fc.nat(), { maxLength: 3 }),
      })
      .map(({ size, maxParallel, edges, stage, flaky }) => {
        const deps = Array.from({ length: size }, () => new Set<string>());
        for (const [a, b] of edges) if (a % size < b % size) deps[b % size]!.add(`j${a % size}`);
        const plan: TestPlanSpec = {
          id: 'random',
          maxParallel,
          defaultRetry: { maxAttempts: 2, initialDelayMs: 500 },
          jobs: deps.map((d, i) => ({ id: `j${i}`, dependsOn: [...d] })),
          ...(stage ? { integration: { integrate: 'manual' as const } } : {}),
        };
        return { plan, flaky: new Set(flaky.map((n) => `j${n % size}`)) };
      });
    await fc.assert(
      fc.asyncProperty(
        planArb,
        fc.double({ min: 0, max: 1, noNaN: true }),
        async ({ plan, flaky }, where) => {
          const store = new SnapshotHistory();
          const reference = createTestOrchestrator(plan, { store, snapshotEvery: 7 });
          await reference.start();
          await drive(reference, flaky);
          const length = Math.max(1, Math.floor(where * (store.records.length - 1)));
          const kit = await resumeTestOrchestrator(plan, await cut(store, length));
          await kit.start();
          await drive(kit, flaky);
          expect(outcome(kit)).toEqual(outcome(reference));
          kit.checkInvariants();
        },
      ),
      { numRuns: 60, seed: 4242 },
    );
  });
});

describe('a crash inside a group of records, in random plans with failures', () => {
  it('resumes from a cut after every record to the uncrashed outcome, and nothing waits forever', async () => {
    const planArb = fc
      .record({
        size: fc.integer({ min: 2, max: 8 }),
        maxParallel: fc.integer({ min: 1, max: 3 }),
        edges: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 14 }),
        stage: fc.boolean(),
        onJobFailure: fc.constantFrom('pause' as const, 'continue' as const, 'fail' as const),
        onSkip: fc.constantFrom('block' as const, 'release' as const),
        doomed: fc.array(
          fc.tuple(fc.nat(), fc.constantFrom<Decision>('approve', 'skip', 'retry')),
          { maxLength: 2 },
        ),
        flaky: fc.array(fc.nat(), { maxLength: 2 }),
      })
      .map(({ size, maxParallel, edges, stage, onJobFailure, onSkip, doomed, flaky }) => {
        const deps = Array.from({ length: size }, () => new Set<string>());
        for (const [a, b] of edges) if (a % size < b % size) deps[b % size]!.add(`j${a % size}`);
        const plan: TestPlanSpec = {
          id: 'random-torn',
          maxParallel,
          defaultRetry: { maxAttempts: 2, initialDelayMs: 100 },
          onJobFailure,
          onSkip,
          jobs: deps.map((d, i) => ({ id: `j${i}`, dependsOn: [...d] })),
          ...(stage ? { integration: { integrate: 'manual' as const } } : {}),
        };
        return {
          plan,
          doomed: new Map(doomed.map(([n, decision]) => [`j${n % size}`, decision])),
          flaky: new Set(flaky.map((n) => `j${n % size}`)),
        };
      });
    await fc.assert(
      fc.asyncProperty(planArb, async ({ plan, doomed, flaky }) => {
        await checkEveryCrashPosition(plan, flaky, undefined, doomed);
      }),
      { numRuns: 25, seed: 1111 },
    );
  });
});
