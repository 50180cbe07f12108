import { createOrchestrator } from '../src/runtime/orchestrator.js';

const n = 20000;
const jobs = Array.from({ length: n }, (_, i) => ({ id: `j${i}`, run: () => Promise.resolve(i) }));
const o = createOrchestrator({ id: 'x', maxParallel: 8, jobs });
const t = performance.now();
o.start();
await o.whenSettled();
console.log((((performance.now() - t) * 1000) / n).toFixed(1), 'µs/job');
