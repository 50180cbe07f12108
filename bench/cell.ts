/**
 * One benchmark cell in a fresh process: `cell <executor> <workload> <n> <maxParallel>` prints a
 * JSON line with µs per job, peak heap and chain latencies, after checking that every job ran
 * exactly once, after its dependencies, and never more than maxParallel at once.
 */
import { performance } from 'node:perf_hooks';
import { GCProfiler } from 'node:v8';
import { executors, UNLIMITED } from './executors.js';
import { type WorkloadName, workload } from './workloads.js';

const [executorName, workloadName, nText, mpText] = process.argv.slice(2) as [
  string,
  WorkloadName,
  string,
  string,
];
const n = Number(nText);
const maxParallel = mpText === 'unlimited' ? UNLIMITED : Number(mpText);
const graph = workload(workloadName, n);
const execute = executors[executorName]!;

const runs = new Int32Array(n);
const done = new Uint8Array(n);
const started = new Float64Array(n);
const ended = new Float64Array(n);
let running = 0;
let peakRunning = 0;
let peakHeap = 0;
const problems: string[] = [];

const task = (i: number): Promise<void> => {
  started[i] = performance.now();
  runs[i]!++;
  for (const d of graph.deps[i]!)
    if (!done[d]) problems.push(`j${i} started before j${d} finished`);
  running++;
  if (running > peakRunning) peakRunning = running;
  if ((i & 1023) === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  return Promise.resolve().then(() => {
    running--;
    done[i] = 1;
    ended[i] = performance.now();
  });
};

globalThis.gc?.();
const heapBefore = process.memoryUsage().heapUsed;
const gcs = new GCProfiler();
gcs.start();
const t0 = performance.now();
await execute(graph, maxParallel, task);
const elapsed = performance.now() - t0;
const heapAfter = process.memoryUsage().heapUsed;
peakHeap = Math.max(peakHeap, heapAfter);
const allocated = allocatedBytes(heapBefore, gcs.stop().statistics, heapAfter);

for (let i = 0; i < n; i++) if (runs[i] !== 1) problems.push(`j${i} ran ${runs[i]} times`);
if (peakRunning > maxParallel)
  problems.push(`${peakRunning} ran at once with maxParallel ${maxParallel}`);

let latency: { p50: number; p99: number } | null = null;
if (workloadName === 'chain') {
  const gaps = Array.from({ length: n - 1 }, (_, i) => (started[i + 1]! - ended[i]!) * 1000).sort(
    (a, b) => a - b,
  );
  const at = (q: number) => gaps[Math.min(gaps.length - 1, Math.floor(q * gaps.length))]!;
  latency = { p50: at(0.5), p99: at(0.99) };
}
process.stdout.write(
  `${JSON.stringify({
    executor: executorName,
    workload: workloadName,
    n,
    maxParallel: mpText,
    valid: problems.length === 0,
    problems: problems.slice(0, 3),
    usPerJob: (elapsed * 1000) / n,
    peakHeapMB: (peakHeap - heapBefore) / 1e6,
    allocatedBytesPerJob: Math.round(allocated / n),
    latency,
  })}\n`,
);

/**
 * Bytes allocated during the run: what the heap grew by between collections, plus what each
 * collection found in use beyond what the previous one left.
 */
function allocatedBytes(
  before: number,
  collections: Array<{
    beforeGC: { heapStatistics: { usedHeapSize: number } };
    afterGC: { heapStatistics: { usedHeapSize: number } };
  }>,
  after: number,
): number {
  let total = 0;
  let left = before;
  for (const gc of collections) {
    total += gc.beforeGC.heapStatistics.usedHeapSize - left;
    left = gc.afterGC.heapStatistics.usedHeapSize;
  }
  return total + (after - left);
}
