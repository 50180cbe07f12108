/**
 * Cancel cell, in a fresh process: `cancel-cell <queued> <file|none>` starts a wide plan of
 * `queued` + 8 jobs (maxParallel 8) whose jobs never finish on their own but reject when their
 * AbortSignal fires, waits until 8 run and the rest are queued, then times `cancel()` until
 * `whenSettled()` resolves. Prints one JSON line. Checks that the plan ends canceled, every job is
 * canceled, all 8 running attempts saw their signal abort and no other job ever started.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createOrchestrator, FileStore, type JobRun } from '../src/index.js';
import { MAX_PARALLEL, widePlan } from './wide-plan.js';

const queued = Number(process.argv[2]);
const withStore = process.argv[3] === 'file';
const n = queued + MAX_PARALLEL;
const problems: string[] = [];

let started = 0;
let aborted = 0;
let t0 = 0;
let lastAbortMs = Number.NaN;
/** Runs until aborted: the only way it ends is the cancel under test. */
const hang = (): JobRun => (ctx) =>
  new Promise((_, reject) => {
    started++;
    ctx.signal.addEventListener(
      'abort',
      () => {
        aborted++;
        lastAbortMs = performance.now() - t0;
        reject(ctx.signal.reason);
      },
      { once: true },
    );
  });

const dir = await mkdtemp(join(tmpdir(), 'bench-cancel-'));
const store = withStore ? new FileStore(dir) : undefined;
const orchestrator = createOrchestrator(widePlan('bench-cancel', n, hang), store ? { store } : {});
/** The plan's child actors that are still running (a final snapshot keeps stopped ones listed). */
const liveChildren = () =>
  Object.values(orchestrator.actor.getSnapshot().children).filter(
    (child) => child?.getSnapshot().status === 'active',
  ).length;
orchestrator.start();

// Wait for the first pass to end: 8 attempts started, their records (and the journal) written.
while (started < MAX_PARALLEL) await sleep(5);
await sleep(100);
const before = orchestrator.getView().counts;
if (before.running !== MAX_PARALLEL || before.queued !== queued)
  problems.push(`before cancel: ${before.running} running, ${before.queued} queued`);
const childrenBefore = liveChildren();

globalThis.gc?.();
t0 = performance.now();
const answer = orchestrator.cancel('bench');
const view = await orchestrator.whenSettled();
const cancelMs = performance.now() - t0;
const childrenAtSettle = liveChildren();

if (!answer.accepted) problems.push(`cancel rejected: ${answer.reason}`);
if (view.status !== 'canceled') problems.push(`plan ${view.status}`);
if (view.counts.canceled !== n) problems.push(`${view.counts.canceled} of ${n} jobs canceled`);
if (started !== MAX_PARALLEL) problems.push(`${started} jobs started, not ${MAX_PARALLEL}`);
await sleep(0); // an abort listener may still be due to run
if (aborted !== MAX_PARALLEL) problems.push(`${aborted} of ${MAX_PARALLEL} signals aborted`);
await rm(dir, { recursive: true, force: true });

process.stdout.write(
  `${JSON.stringify({
    queued,
    running: MAX_PARALLEL,
    store: withStore ? 'file' : 'none',
    valid: problems.length === 0,
    problems: problems.slice(0, 3),
    cancelMs,
    lastAbortMs,
    childrenBefore,
    childrenAtSettle,
  })}\n`,
);
