/** A promise the test settles by hand, once. */
export interface Settlable {
  /** True once `resolve` or `reject` was called. */
  readonly settled: boolean;
  /** Fulfils the promise with `value`; throws if it was already settled. */
  resolve(value?: unknown): void;
  /** Rejects the promise with `error` (default: an `Error` naming what failed); throws if it was already settled. */
  reject(error?: unknown): void;
}

export function createSettlable(label: string): { promise: Promise<unknown>; controls: Settlable } {
  let settled = false;
  let resolvePromise!: (value: unknown) => void;
  let rejectPromise!: (error: unknown) => void;
  const promise = new Promise<unknown>((resolve, reject) => {
    resolvePromise = resolve;
    rejectPromise = reject;
  });
  const settle = () => {
    if (settled) throw new Error(`${label} was already settled by the test`);
    settled = true;
  };
  const controls: Settlable = {
    get settled() {
      return settled;
    },
    resolve: (value) => {
      settle();
      resolvePromise(value);
    },
    reject: (error = new Error(`${label} failed`)) => {
      settle();
      rejectPromise(error);
    },
  };
  return { promise, controls };
}
