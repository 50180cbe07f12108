/** Every ordering of `items` (n! of them; keep n small). */
export function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [items.slice()];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

/** Names an ordering for test titles: `B,A,C`. */
export const orderName = (order: readonly string[]) => order.join(',');
