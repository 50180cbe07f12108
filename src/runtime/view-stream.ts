import { Observable } from 'rxjs';
import { checkpointOf } from '../../machines/plan/checkpoint.js';
import { planStatusOf } from '../../machines/plan.machine.js';
import type { PlanActor } from './plan-actor.js';
import { buildView, type JobTiming, type PlanView } from './view.js';

/** The plan's view as of the actor's current snapshot. */
export function viewOf(actor: PlanActor, timing: ReadonlyMap<string, JobTiming>): PlanView {
  const snapshot = actor.getSnapshot();
  const status = planStatusOf(snapshot);
  const value = snapshot.value;
  const running = typeof value === 'object' && 'running' in value ? value.running : null;
  // `triage` is left within the step that enters it: a snapshot never rests there.
  const pass = running === 'triage' ? 'idle' : running;
  return buildView(status, pass, checkpointOf(status, snapshot.context), snapshot.context, timing);
}

/** The view now, then after each burst of the actor's changes (coalesced per microtask). */
export function viewStream(actor: PlanActor, getView: () => PlanView): Observable<PlanView> {
  return new Observable<PlanView>((subscriber) => {
    let scheduled = false;
    subscriber.next(getView());
    const subscription = actor.subscribe({
      next: () => {
        if (scheduled) return;
        scheduled = true;
        queueMicrotask(() => {
          scheduled = false;
          if (!subscriber.closed) subscriber.next(getView());
        });
      },
      error: (error) => subscriber.error(error),
      complete: () => {
        queueMicrotask(() => {
          subscriber.next(getView());
          subscriber.complete();
        });
      },
    });
    return () => subscription.unsubscribe();
  });
}
