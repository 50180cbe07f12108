import { Subject, take } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { guardSubscribers } from '../src/runtime/guarded-stream.js';

describe('guardSubscribers', () => {
  const setup = () => {
    const source = new Subject<number>();
    const failures: Array<[string, unknown]> = [];
    const stream = guardSubscribers(source, 'events$', (name, error) =>
      failures.push([name, error]),
    );
    return { source, stream, failures };
  };

  it('reports the first throw of a subscriber once; it and the others keep receiving', () => {
    const { source, stream, failures } = setup();
    const thrower: number[] = [];
    const other: number[] = [];
    stream.subscribe((value) => {
      thrower.push(value);
      throw new Error(`bad ${value}`);
    });
    stream.subscribe({ next: (value) => other.push(value) });
    for (const value of [1, 2, 3]) source.next(value);
    expect(thrower).toEqual([1, 2, 3]);
    expect(other).toEqual([1, 2, 3]);
    expect(failures).toEqual([['events$', new Error('bad 1')]]);
  });

  it('fences a throwing complete callback, and keeps the (next, error, complete) form', () => {
    const { source, stream, failures } = setup();
    const seen: string[] = [];
    stream.subscribe(
      (value) => seen.push(`next ${value}`),
      undefined,
      () => {
        seen.push('complete');
        throw new Error('in complete');
      },
    );
    source.next(1);
    source.complete();
    expect(seen).toEqual(['next 1', 'complete']);
    expect(failures).toEqual([['events$', new Error('in complete')]]);
  });

  it('lets operators subscribe as they do, so take(1) unsubscribes from the source', () => {
    const { source, stream } = setup();
    const seen: number[] = [];
    stream.pipe(take(1)).subscribe((value) => seen.push(value));
    source.next(7);
    source.next(8);
    expect(seen).toEqual([7]);
    expect(source.observed).toBe(false);
  });
});
