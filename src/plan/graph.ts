/**
 * Finds the cycles of a dependency graph: one concrete path per strongly connected component that
 * has a cycle, e.g. `['a', 'b', 'c', 'a']` (a depends on b, b on c, c on a) or `['a', 'a']`.
 *
 * Node `i` is `ids[i]`; `depsOf(i)` lists the indices it depends on. Each reported cycle starts
 * at the first-declared node of its component and is the shortest cycle through that node; cycles
 * come in declaration order. Everything is iterative (a chain of 100,000 jobs must not overflow
 * the stack) and O(N + E).
 */
export function findCycles(
  ids: readonly string[],
  depsOf: (index: number) => readonly number[],
): string[][] {
  const component = strongComponents(ids.length, depsOf);
  const size = new Int32Array(ids.length);
  for (const c of component) size[c]!++;
  const cyclic = (i: number) => size[component[i]!]! > 1 || depsOf(i).includes(i);

  const cycles: string[][] = [];
  const done = new Uint8Array(ids.length);
  const parent = new Int32Array(ids.length).fill(-1);
  for (let i = 0; i < ids.length; i++) {
    if (done[component[i]!] || !cyclic(i)) continue;
    done[component[i]!] = 1;
    cycles.push(shortestCycleThrough(i, component, depsOf, parent).map((n) => ids[n]!));
  }
  return cycles;
}

/**
 * Breadth-first search from `start` inside its component. Every node belongs to one component, so
 * the searches of all components together look at each node and edge at most once.
 */
function shortestCycleThrough(
  start: number,
  component: Int32Array,
  depsOf: (index: number) => readonly number[],
  parent: Int32Array,
): number[] {
  const own = component[start]!;
  parent[start] = start;
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head]!;
    for (const next of depsOf(node)) {
      if (next === start) {
        const back: number[] = [];
        for (let walk = node; walk !== start; walk = parent[walk]!) back.push(walk);
        return [start, ...back.reverse(), start];
      }
      if (component[next] !== own || parent[next] !== -1) continue;
      parent[next] = node;
      queue.push(next);
    }
  }
  throw new Error('findCycles: a cyclic component without a cycle');
}

/**
 * Tarjan's strongly connected components, with explicit stacks instead of recursion. Returns the
 * component number of each node.
 */
function strongComponents(size: number, depsOf: (index: number) => readonly number[]): Int32Array {
  const order = new Int32Array(size).fill(-1);
  const low = new Int32Array(size);
  const nextEdge = new Int32Array(size);
  const onStack = new Uint8Array(size);
  const component = new Int32Array(size);
  const open: number[] = [];
  const path: number[] = [];
  let visited = 0;
  let components = 0;

  const enter = (node: number) => {
    order[node] = low[node] = visited++;
    open.push(node);
    onStack[node] = 1;
    path.push(node);
  };

  for (let root = 0; root < size; root++) {
    if (order[root] !== -1) continue;
    enter(root);
    while (path.length > 0) {
      const node = path[path.length - 1]!;
      const deps = depsOf(node);
      const at = nextEdge[node]!;
      if (at < deps.length) {
        nextEdge[node] = at + 1;
        const next = deps[at]!;
        if (order[next] === -1) enter(next);
        else if (onStack[next]) low[node] = Math.min(low[node]!, order[next]!);
        continue;
      }
      path.pop();
      const caller = path[path.length - 1];
      if (caller !== undefined) low[caller] = Math.min(low[caller]!, low[node]!);
      if (low[node] !== order[node]) continue;
      // `node` is the root of a component: everything above it on `open` belongs to it.
      let member: number;
      do {
        member = open.pop()!;
        onStack[member] = 0;
        component[member] = components;
      } while (member !== node);
      components++;
    }
  }
  return component;
}
