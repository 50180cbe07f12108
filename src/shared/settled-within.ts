/**
 * Waits until every promise settled, or `ms` passed, whichever comes first; resolves true when
 * they all settled in time. For waits that must end: a process or server that never answers
 * leaves the caller no worse off than a slow one.
 */
export async function settledWithin(
  promises: readonly Promise<unknown>[],
  ms: number,
): Promise<boolean> {
  if (promises.length === 0) return true;
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const settled = Promise.allSettled(promises).then(() => true as const);
  const inTime = await Promise.race([settled, expiry]);
  clearTimeout(timer);
  return inTime;
}
