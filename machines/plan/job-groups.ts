import type { PlanToJobEvent } from '../job.machine.js';
import {
  groupOfSlot,
  JOB_GROUP_SIZE,
  type JobSpawn,
  PLAN_JOB_ACTORS,
  type PlanToGroupEvent,
} from '../job-group.machine.js';
import type { PlanContext } from './context.js';

/**
 * Where the plan's job actors live: a plan that may run more than `PLAN_JOB_ACTORS` at once holds
 * them in groups (`jobs-0`, `jobs-1`, …; slot n in group n / JOB_GROUP_SIZE), any other plan
 * holds them itself, which saves a hop per event.
 */
export function groupsJobs(ctx: PlanContext): boolean {
  return ctx.maxParallel > PLAN_JOB_ACTORS;
}

/** The groups the slots reserved so far need and that are not spawned yet; counts them spawned. */
export function groupsNeeded(ctx: PlanContext): string[] {
  const needed = Math.ceil(ctx.slotCount / JOB_GROUP_SIZE);
  const ids: string[] = [];
  for (; ctx.groupCount < needed; ctx.groupCount++) ids.push(`jobs-${ctx.groupCount}`);
  return ids;
}

export function byGroup(spawns: JobSpawn[]): Map<string, JobSpawn[]> {
  const groups = new Map<string, JobSpawn[]>();
  for (const spawn of spawns) {
    const group = groupOfSlot(spawn.id);
    const batch = groups.get(group);
    if (batch) batch.push(spawn);
    else groups.set(group, [spawn]);
  }
  return groups;
}

/** The actor to send a job's event to, and the event: the job's own, or its group's. */
export function jobTarget(
  ctx: PlanContext,
  slot: string,
  event: PlanToJobEvent,
): [string, PlanToJobEvent | PlanToGroupEvent] {
  return groupsJobs(ctx) ? [groupOfSlot(slot), { type: 'TO_JOB', slot, event }] : [slot, event];
}
