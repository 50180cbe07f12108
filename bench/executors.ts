import async from 'async';
import { DepGraph } from 'dependency-graph';
import { PGraph } from 'p-graph';
import pLimit from 'p-limit';
import { createOrchestrator } from '../src/index.js';
import type { Graph } from './workloads.js';

/** Runs every job of the graph once, after its dependencies, at most `maxParallel` at a time. */
export type Executor = (
  graph: Graph,
  maxParallel: number,
  task: (index: number) => Promise<void>,
) => Promise<void>;

export const UNLIMITED = 1_000_000;

export const executors: Record<string, Executor> = {
  'plan-orchestrator': async (graph, maxParallel, task) => {
    const orchestrator = createOrchestrator({
      id: 'bench',
      maxParallel,
      jobs: graph.ids.map((id, i) => ({
        id,
        dependsOn: graph.deps[i]!.map((d) => graph.ids[d]!),
        run: () => task(i),
      })),
    });
    orchestrator.start();
    const view = await orchestrator.whenSettled();
    if (view.status !== 'completed') throw new Error(`plan ${view.status}`);
  },

  'p-graph': async (graph, maxParallel, task) => {
    const nodes = new Map(graph.ids.map((id, i) => [id, { run: () => task(i) }]));
    const edges: Array<[string, string]> = [];
    graph.deps.forEach((deps, i) => {
      for (const d of deps) edges.push([graph.ids[d]!, graph.ids[i]!]);
    });
    await new PGraph(nodes, edges).run(maxParallel < UNLIMITED ? { concurrency: maxParallel } : {});
  },

  'async.auto': async (graph, maxParallel, task) => {
    const tasks: Record<string, unknown> = {};
    graph.ids.forEach((id, i) => {
      const run = (...args: unknown[]) => {
        const callback = args[args.length - 1] as (error?: unknown) => void;
        task(i).then(() => callback(), callback);
      };
      tasks[id] =
        graph.deps[i]!.length > 0 ? [...graph.deps[i]!.map((d) => graph.ids[d]!), run] : run;
    });
    await async.auto(
      tasks as never,
      maxParallel < UNLIMITED ? maxParallel : Number.POSITIVE_INFINITY,
    );
  },

  'dependency-graph + p-limit': async (graph, maxParallel, task) => {
    const dag = new DepGraph<number>();
    graph.ids.forEach((id, i) => {
      dag.addNode(id, i);
    });
    graph.deps.forEach((deps, i) => {
      for (const d of deps) dag.addDependency(graph.ids[i]!, graph.ids[d]!);
    });
    const limit = pLimit(Math.min(maxParallel, 1_000_000));
    const done = new Map<string, Promise<void>>();
    for (const id of dag.overallOrder()) {
      const index = dag.getNodeData(id);
      const before = dag.directDependenciesOf(id).map((dep) => done.get(dep)!);
      done.set(
        id,
        Promise.all(before).then(() => limit(() => task(index))),
      );
    }
    await Promise.all(done.values());
  },

  /** The floor: in-degree counters and a ready list, nothing else. */
  'hand-written': (graph, maxParallel, task) =>
    new Promise((resolve, reject) => {
      const n = graph.ids.length;
      const waiting = new Int32Array(n);
      const dependents: number[][] = graph.ids.map(() => []);
      graph.deps.forEach((deps, i) => {
        waiting[i] = deps.length;
        for (const d of deps) dependents[d]!.push(i);
      });
      const ready: number[] = [];
      for (let i = 0; i < n; i++) if (waiting[i] === 0) ready.push(i);
      let running = 0;
      let finished = 0;
      const pump = () => {
        while (running < maxParallel && ready.length > 0) {
          const i = ready.pop()!;
          running++;
          task(i).then(() => {
            running--;
            finished++;
            for (const d of dependents[i]!) if (--waiting[d]! === 0) ready.push(d);
            if (finished === n) resolve();
            else pump();
          }, reject);
        }
      };
      if (n === 0) resolve();
      else pump();
    }),
};
