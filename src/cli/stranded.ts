import type { Checkpoint } from '../../machines/plan/records.js';

/** Why a plan holds, in a few words a person can act on. */
export function describeCheckpoint(checkpoint: Checkpoint | null): string {
  if (checkpoint === null) return 'a checkpoint';
  switch (checkpoint.name) {
    case 'on_error':
      return 'jobId' in checkpoint
        ? `on_error: job "${checkpoint.jobId}" failed (${checkpoint.kind}): ${checkpoint.error.message}`
        : `on_error: finalize failed: ${checkpoint.error.message}`;
    case 'persistence':
      return `persistence: ${checkpoint.error.message}`;
    case 'pre_run':
      return `pre_run (job "${checkpoint.jobId}" requires approval to start)`;
    case 'pre_integrate':
      return `pre_integrate (job "${checkpoint.jobId}")`;
    case 'pre_change':
      return `pre_change (jobs ${checkpoint.jobIds.join(', ')})`;
    case 'user':
      return 'user (paused by PAUSE)';
    default:
      return checkpoint.name;
  }
}

/**
 * The message of a plan paused where nothing in this run can act on it: without a state folder
 * or the inspector, no command reaches the plan, so waiting would wait forever.
 */
export function strandedMessage(planId: string, checkpoint: Checkpoint | null): string {
  return [
    `stranded: plan "${planId}" is paused at ${describeCheckpoint(checkpoint)}`,
    'Nothing in this run can act on the pause (no --state-dir, no --inspect, not at a terminal): the running jobs are stopped and the run ends with exit code 4.',
    'To decide instead, run with --state-dir <dir> and use plan-orchestrator retry, skip, approve or continue (or run with --inspect and use its buttons, or at a terminal to be asked); or set onJobFailure: fail or continue in the plan.',
  ].join('\n');
}
