/** Benchmark graphs, generated from a fixed seed: job i depends on the indices in `deps[i]`. */
export interface Graph {
  ids: string[];
  deps: number[][];
}

export type WorkloadName = 'wide' | 'chain' | 'diamond' | 'random';
export const WORKLOADS: WorkloadName[] = ['wide', 'chain', 'diamond', 'random'];

function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

export function workload(name: WorkloadName, n: number, seed = 42): Graph {
  const ids = Array.from({ length: n }, (_, i) => `j${i}`);
  const next = random(seed);
  const deps = ids.map((_, i): number[] => {
    switch (name) {
      case 'wide':
        return [];
      case 'chain':
        return i === 0 ? [] : [i - 1];
      case 'diamond': {
        // Layers of 16; every job of a layer depends on every job of the layer before.
        const layer = Math.floor(i / 16);
        if (layer === 0) return [];
        return Array.from({ length: 16 }, (_, k) => (layer - 1) * 16 + k);
      }
      case 'random': {
        const picks = new Set<number>();
        const count = i === 0 ? 0 : Math.floor(next() * 4);
        for (let k = 0; k < count; k++) picks.add(Math.floor(next() * i));
        return [...picks];
      }
      default:
        throw new Error(`unknown workload ${String(name)}`);
    }
  });
  return { ids, deps };
}
