import type { PlanRecord } from '../../machines/plan/records.js';
import { planStatusOf } from '../../machines/plan.machine.js';
import type { AttemptTracker, PlanSink } from './attempt-actor.js';
import { deliverToPlan, type PlanActor } from './plan-actor.js';

/**
 * Where attempts report without their job actors (progress, late results): to the plan while it
 * runs, recorded as ignored after it ended; `attemptEnded` is called each time an attempt ends,
 * to complete `events$` after the last.
 * Takes the actor lazily: it is created with the attempt runner these feed.
 */
export function attemptOutcomes(
  actorOf: () => PlanActor,
  publish: (records: readonly PlanRecord[]) => void,
  attemptEnded: () => void,
): { toPlan: PlanSink; tracker: AttemptTracker; outstanding: () => number } {
  let outstanding = 0;
  const toPlan: PlanSink = (event) => {
    const actor = actorOf();
    if (actor.getSnapshot().status === 'active') {
      deliverToPlan(actor, event);
      return;
    }
    publish([
      {
        type: 'result-ignored',
        jobId: event.jobId,
        attemptId: event.attemptId,
        event: event.type,
        why: `plan is already ${planStatusOf(actor.getSnapshot())}`,
      },
    ]);
  };
  const tracker: AttemptTracker = {
    started: () => {
      outstanding++;
    },
    ended: () => {
      outstanding--;
      attemptEnded();
    },
  };
  return { toPlan, tracker, outstanding: () => outstanding };
}
