import { Observable, type Observer, Subscriber, type Subscription } from 'rxjs';

export type StreamName = 'events$' | 'view$';

/**
 * The stream as a subscriber sees it, with that subscriber's callbacks fenced off: rxjs rethrows
 * a callback's exception asynchronously, which crashes the process. Here the first exception of
 * each subscriber goes to `failed` (later ones of the same subscriber are dropped), and every
 * subscriber, the failing one included, keeps receiving values.
 *
 * Only direct subscriptions are fenced. Operators subscribe with rxjs subscribers of their own,
 * which pass through untouched; exceptions at the end of a `pipe` are rxjs's to report
 * (`config.onUnhandledError`).
 */
export function guardSubscribers<T>(
  source: Observable<T>,
  stream: StreamName,
  failed: (stream: StreamName, error: unknown) => void,
): Observable<T> {
  const guarded = new Observable<T>((subscriber) => source.subscribe(subscriber));
  const subscribe = guarded.subscribe.bind(guarded) as (observer?: unknown) => Subscription;
  const fenced = (
    observerOrNext?: Partial<Observer<T>> | ((value: T) => void) | null,
    // rxjs's deprecated form: subscribe(next, error, complete).
    error?: ((error: unknown) => void) | null,
    complete?: (() => void) | null,
  ) => {
    if (observerOrNext instanceof Subscriber || (observerOrNext == null && !error && !complete)) {
      return subscribe(observerOrNext);
    }
    const observer: Partial<Observer<T>> =
      typeof observerOrNext === 'function' || observerOrNext == null
        ? {
            ...(observerOrNext ? { next: observerOrNext } : {}),
            ...(error ? { error } : {}),
            ...(complete ? { complete } : {}),
          }
        : observerOrNext;
    let reported = false;
    const fence =
      <A extends unknown[]>(callback: ((...args: A) => void) | undefined) =>
      (...args: A) => {
        try {
          callback?.apply(observer, args);
        } catch (error) {
          if (reported) return;
          reported = true;
          failed(stream, error);
        }
      };
    return subscribe({
      next: fence(observer.next),
      // Without an error callback, rxjs reports the stream's own error as it always does.
      ...(observer.error ? { error: fence(observer.error) } : {}),
      complete: fence(observer.complete),
    });
  };
  guarded.subscribe = fenced as typeof guarded.subscribe;
  return guarded;
}
