/**
 * Heap cell, in a fresh process: `heap-cell <n>` runs a wide plan of n no-op jobs to the end and
 * prints, as one JSON line, the heap still retained per job while the caller keeps the settled
 * orchestrator (its view, records of timing and the plan's final snapshot). The plan spec is
 * built before the first measurement, so only what the orchestrator adds is counted.
 */
import { performance } from 'node:perf_hooks';
import { createOrchestrator } from '../src/index.js';
import { noop, widePlan } from './wide-plan.js';

const n = Number(process.argv[2]);
const problems: string[] = [];
if (!globalThis.gc) throw new Error('run with --expose-gc');

const plan = widePlan('bench-heap', n, noop);
globalThis.gc();
const heapBefore = process.memoryUsage().heapUsed;
const t0 = performance.now();
const orchestrator = createOrchestrator(plan);
orchestrator.start();
const view = await orchestrator.whenSettled();
const elapsedMs = performance.now() - t0;
globalThis.gc();
const retained = process.memoryUsage().heapUsed - heapBefore;

if (view.status !== 'completed') problems.push(`plan ${view.status}`);
if (view.counts.succeeded !== n) problems.push(`${view.counts.succeeded} of ${n} succeeded`);
// Keeps the orchestrator reachable up to here, so the measurement above counts what it holds.
if (orchestrator.getView().status !== 'completed') problems.push('view changed after settling');

process.stdout.write(
  `${JSON.stringify({
    n,
    valid: problems.length === 0,
    problems: problems.slice(0, 3),
    usPerJob: (elapsedMs * 1000) / n,
    retainedMB: retained / 1e6,
    bytesPerJob: retained / n,
  })}\n`,
);
