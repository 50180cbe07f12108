import { enqueueActions, sendParent, sendTo, setup } from 'xstate';
import {
  type JobMachineInput,
  jobMachine,
  type PlanToJobEvent,
  runningJobMachine,
} from './job.machine.js';

/**
 * Job actors the plan holds itself at most. XState copies an actor's map of children each time
 * it spawns or stops one, and a parent that ends stops its children one at a time: with every job
 * actor a child of the plan, that cost grows with the square of the jobs running at once. A plan
 * allowed more than this many at once holds its job actors in groups instead.
 */
export const PLAN_JOB_ACTORS = 64;

/**
 * Job actors per group. The runtime's groups keep them in a `Map` (src/runtime/job-pool.ts), so a
 * group's cost is linear in its size; large groups keep the plan's own map of groups small.
 */
export const JOB_GROUP_SIZE = 1024;

export interface JobSpawn {
  src: 'job' | 'runningJob';
  id: string;
  input: JobMachineInput;
}

/** Events the plan sends to a group of its job actors. */
export type PlanToGroupEvent =
  | { type: 'SPAWN_JOBS'; spawns: JobSpawn[] }
  | { type: 'TO_JOB'; slot: string; event: PlanToJobEvent };

/**
 * Holds some of the plan's job actors: spawns them, passes the plan's events to them, and passes
 * everything they report to the plan unchanged, so the plan learns each outcome from its mailbox
 * as when it holds them itself. The runtime stands its own pool in for it (src/runtime/job-pool.ts).
 */
export const jobGroupMachine = setup({
  types: { events: {} as PlanToGroupEvent | { type: string } },
  actors: { job: jobMachine, runningJob: runningJobMachine },
}).createMachine({
  id: 'jobGroup',
  on: {
    SPAWN_JOBS: {
      actions: enqueueActions(({ event, enqueue }) => {
        const { spawns } = event as Extract<PlanToGroupEvent, { type: 'SPAWN_JOBS' }>;
        if (spawns.length === 1) {
          const { src, id, input } = spawns[0]!;
          enqueue.spawnChild(src, { id, input });
          return;
        }
        enqueue.assign(({ spawn }) => {
          for (const { src, id, input } of spawns) spawn(src, { id, input });
          return {};
        });
      }),
    },
    TO_JOB: {
      actions: sendTo(
        ({ event }) => (event as Extract<PlanToGroupEvent, { type: 'TO_JOB' }>).slot,
        ({ event }) => (event as Extract<PlanToGroupEvent, { type: 'TO_JOB' }>).event,
      ),
    },
    '*': { actions: sendParent(({ event }) => event) },
  },
});

/** The group that holds the job actor of `slot` (`slot-<n>`), in a plan that groups them. */
export function groupOfSlot(slot: string): string {
  return `jobs-${Math.floor(Number(slot.slice('slot-'.length)) / JOB_GROUP_SIZE)}`;
}
