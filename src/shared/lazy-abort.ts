/**
 * An abort signal made the first time it is read: most attempts end without their code ever
 * looking at it, and an `AbortController` per attempt is a measurable part of a job's cost. An
 * abort before the first read is remembered, so the signal is then already aborted, with the
 * same reason. The first abort wins, as with `AbortController`.
 */
export class LazyAbort {
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  /** Why it was aborted, if it was. */
  get reason(): unknown {
    return this.#reason;
  }

  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}
