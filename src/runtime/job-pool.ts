import {
  type ActorLogic,
  type AnyActorLogic,
  type AnyActorRef,
  type AnyEventObject,
  createActor,
  type Snapshot,
} from 'xstate';
import type { JobSpawn, PlanToGroupEvent } from '../../machines/job-group.machine.js';
import type { PlanEvent } from '../../machines/plan.machine.js';
import { deliverToPlan, type PlanActor } from './plan-actor.js';

/** A pool's snapshot: its job actors by slot (changed in place; a pool is never persisted). */
type PoolSnapshot = Snapshot<undefined> & { readonly slots: Map<string, AnyActorRef> };

const STOP = 'xstate.stop';

/**
 * The runtime's group of job actors, in place of the plan machine's `jobGroup` statechart. A
 * statechart keeps its children in a map it copies whenever it spawns or stops one, so stopping
 * a group of g actors costs g² and groups must stay small; the pool keeps them in a `Map` and
 * stops each in O(1), so it can hold every slot of a plan that runs 100,000 jobs at once.
 *
 * Like the statechart, it spawns the job actors (its own children, so it can stop them), hands
 * them the plan's events, and passes everything they report to the plan unchanged.
 */
export function jobPoolLogic(
  logics: Record<JobSpawn['src'], AnyActorLogic>,
): ActorLogic<PoolSnapshot, PlanToGroupEvent | AnyEventObject> {
  return {
    getInitialSnapshot: () => ({
      status: 'active',
      output: undefined,
      error: undefined,
      slots: new Map(),
    }),
    transition: (snapshot, event, scope) => {
      if (snapshot.status !== 'active') return snapshot;
      const { slots } = snapshot;
      switch (event.type) {
        case 'SPAWN_JOBS':
          for (const { src, id, input } of (
            event as Extract<PlanToGroupEvent, { type: 'SPAWN_JOBS' }>
          ).spawns) {
            const actor = createActor(logics[src], { id, input, parent: scope.self });
            slots.set(id, actor);
            scope.defer(() => actor.start());
          }
          return snapshot;
        case 'TO_JOB': {
          const { slot, event: toJob } = event as Extract<PlanToGroupEvent, { type: 'TO_JOB' }>;
          const actor = slots.get(slot);
          if (actor) scope.defer(() => actor.send(toJob));
          return snapshot;
        }
        case STOP:
          for (const actor of slots.values()) scope.stopChild(actor);
          slots.clear();
          return { ...snapshot, status: 'stopped' };
        default: {
          // A job actor's report: the plan's, delivered as XState delivers a child's events.
          const plan = scope.self._parent as PlanActor | undefined;
          if (plan) scope.defer(() => deliverToPlan(plan, event as PlanEvent));
          return snapshot;
        }
      }
    },
    getPersistedSnapshot: ({ status, output, error }) => ({ status, output, error }),
  } as ActorLogic<PoolSnapshot, PlanToGroupEvent | AnyEventObject>;
}
