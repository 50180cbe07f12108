/**
 * Finds cycles in a dependency graph given as adjacency lists of indices. Iterative (a chain of
 * 100,000 jobs must not overflow the stack) and O(N + E): one depth-first search that reports the
 * path of the first back edge it meets in each strongly connected part of the graph.
 */
export function findCycles(
  size: number,
  edgesOf: (index: number) => readonly number[],
): number[][] {
  const WHITE = 0;
  const GREY = 1;
  const BLACK = 2;
  const color = new Uint8Array(size);
  const parent = new Int32Array(size).fill(-1);
  const nextEdge = new Int32Array(size);
  const cycles: number[][] = [];
  const reported = new Uint8Array(size);

  for (let root = 0; root < size; root++) {
    if (color[root] !== WHITE) continue;
    const stack = [root];
    color[root] = GREY;
    while (stack.length > 0) {
      const node = stack[stack.length - 1]!;
      const edges = edgesOf(node);
      const at = nextEdge[node]!;
      if (at >= edges.length) {
        color[node] = BLACK;
        stack.pop();
        continue;
      }
      nextEdge[node] = at + 1;
      const next = edges[at]!;
      if (color[next] === WHITE) {
        color[next] = GREY;
        parent[next] = node;
        stack.push(next);
      } else if (color[next] === GREY && !reported[next]) {
        // A back edge node → next: the cycle is next … node → next.
        const path = [node];
        for (let walk = node; walk !== next; walk = parent[walk]!) path.push(parent[walk]!);
        path.reverse();
        path.push(next);
        for (const member of path) reported[member] = 1;
        cycles.push(path);
      }
    }
  }
  return cycles;
}
