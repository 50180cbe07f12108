import type { PlanCommand } from '../../machines/plan/commands.js';
import type { JobSpec } from '../plan/types.js';
import type { PlanIssue } from '../shared/errors.js';

/** A command as `send()` takes it: `ADD_JOB` carries a full job spec, functions included. */
export type Command = Exclude<PlanCommand, { type: 'ADD_JOB' }> | { type: 'ADD_JOB'; job: JobSpec };

/** A command's answer: accepted, or refused with the reason (and, for `ADD_JOB`, the plan issues). */
export type CommandResult =
  | { accepted: true }
  | { accepted: false; reason: string; issues?: readonly PlanIssue[] };
