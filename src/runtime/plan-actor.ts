import { Actor } from 'xstate';
import type { PlanEvent, planRuntimeMachine } from '../../machines/plan.machine.js';

/** The plan's root actor, as the runtime holds it. */
export type RuntimePlanActor = Actor<typeof planRuntimeMachine>;

/**
 * The plan's root actor as the orchestrator lends it out: to watch (snapshots, `subscribe`,
 * `system.inspect`), not to send to. Commands go through the orchestrator's `send()`, which
 * checks and records them; the plan's own events (its jobs' outcomes, its store's commits) come
 * only from the runtime.
 */
export type PlanActor = Omit<RuntimePlanActor, 'send'>;

/**
 * From outside, the actor's `send` hands the event to `fromOutside` (the orchestrator's command
 * gate) instead of the plan: a caller that goes around the types (`as any`) still cannot skip a
 * write-ahead or forge a job's outcome.
 */
export function lendPlanActor(
  actor: RuntimePlanActor,
  fromOutside: (event: unknown) => void,
): PlanActor {
  actor.send = fromOutside;
  return actor;
}

/** Sends an event to the plan from inside the runtime (XState's own deliveries never use `send`). */
export function deliverToPlan(actor: PlanActor, event: PlanEvent): void {
  Actor.prototype.send.call(actor as RuntimePlanActor, event);
}
