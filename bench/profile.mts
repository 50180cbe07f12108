/** A plan to profile: `node --cpu-prof --import tsx bench/profile.mts [workload] [n] [maxParallel]`. */
import { createOrchestrator } from '../src/index.js';
import { type WorkloadName, workload } from './workloads.js';

const [name = 'chain', n = '10000', mp = '8'] = process.argv.slice(2);
const graph = workload(name as WorkloadName, Number(n));
const orchestrator = createOrchestrator({
  id: 'profile',
  maxParallel: Number(mp),
  jobs: graph.ids.map((id, i) => ({
    id,
    dependsOn: graph.deps[i]!.map((d) => graph.ids[d]!),
    run: async () => i,
  })),
});
const cpu0 = process.cpuUsage();
const t0 = performance.now();
orchestrator.start();
await orchestrator.whenSettled();
const wall = ((performance.now() - t0) * 1000) / Number(n);
const { user, system } = process.cpuUsage(cpu0);
// CPU time as well: on a machine shared with other work it moves far less than wall time.
console.log(
  `${name} ${n} mp ${mp}: ${wall.toFixed(1)} µs/job, CPU ${((user + system) / Number(n)).toFixed(1)} µs/job`,
);
