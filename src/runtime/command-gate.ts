import { COMMAND_TYPES, type PlanCommand, rejectionOf } from '../../machines/plan/commands.js';
import type { PlanCommandRecord, PlanRecord } from '../../machines/plan/records.js';
import type { PlanStatus } from '../../machines/plan/status.js';
import { planStatusOf } from '../../machines/plan.machine.js';
import { guarded, renderValue, toJsonSafe } from '../../machines/safe-value.js';
import { unstorablePart } from '../persistence/storable.js';
import type { JobSpec, PlanSpec } from '../plan/types.js';
import { findAddedJobIssues } from '../plan/validate.js';
import type { PlanIssue } from '../shared/errors.js';
import type { Command, CommandResult } from './command.js';
import { deliverToPlan, type PlanActor } from './plan-actor.js';
import { toJobInput } from './resolve-plan.js';

export interface CommandGateContext {
  plan: PlanSpec;
  /** The plan's job specs by id; an accepted `ADD_JOB` adds its spec here, for its attempts. */
  specs: Map<string, JobSpec>;
  actor: PlanActor;
  publish: (records: readonly PlanRecord[]) => void;
  started: () => boolean;
}

/**
 * `send()`: answers and records here the commands the machine never sees (unreadable, unknown,
 * before start, after the end, an invalid added job) and passes the others on to the machine.
 */
export function createCommandGate({
  plan,
  specs,
  actor,
  publish,
  started,
}: CommandGateContext): (command: Command) => CommandResult {
  const reject = (
    command: unknown,
    reason: string,
    issues?: readonly PlanIssue[],
  ): CommandResult => {
    publish([{ type: 'command-rejected', command: { ...(command as PlanCommandRecord) }, reason }]);
    return issues ? { accepted: false, reason, issues } : { accepted: false, reason };
  };

  /** An added job is validated exactly like a plan's job; its spec is kept for its attempts. */
  const toMachineCommand = (command: Command): PlanCommand | CommandResult => {
    if (command.type !== 'ADD_JOB') return command;
    const issues = findAddedJobIssues({ ...plan, jobs: [...specs.values()] }, command.job);
    if (issues.length > 0) {
      const reason = `ADD_JOB rejected: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`;
      return reject(
        { type: 'ADD_JOB', jobId: (command.job as { id?: unknown })?.id },
        reason,
        issues,
      );
    }
    return { type: 'ADD_JOB', job: toJobInput(command.job, plan.defaultRetry, plan.onInterrupt) };
  };

  return (command: Command): CommandResult => {
    // A command is recorded as it was sent: one that is not plain data could not be stored or
    // shown, so it is refused (and recorded as rendered). ADD_JOB carries functions: see below.
    const type = guarded(() => (command as { type?: unknown })?.type, undefined);
    const unsendable = guarded(
      () =>
        type === 'ADD_JOB'
          ? unstorablePart((command as { job?: { input?: unknown } }).job?.input, 'job.input')
          : unstorablePart(command, 'command'),
      'command: it could not be read',
    );
    if (unsendable) {
      const recorded = toJsonSafe(
        type === 'ADD_JOB'
          ? { type, jobId: guarded(() => (command as { job?: { id?: unknown } }).job?.id, null) }
          : command,
      );
      const reason = `${renderValue(type)} rejected: ${unsendable}; send plain JSON data`;
      return reject(
        recorded !== null && typeof recorded === 'object' ? recorded : { type: renderValue(type) },
        reason,
      );
    }
    const snapshot = actor.getSnapshot();
    const status: PlanStatus = planStatusOf(snapshot);
    if (!started() || snapshot.status !== 'active' || !COMMAND_TYPES.has(command?.type)) {
      // The machine never sees these: answer and record them here.
      const reason = started()
        ? (rejectionOf(status, snapshot.context, command as PlanCommand) ??
          `Plan "${plan.id}" is not running`)
        : `Plan "${plan.id}" has not been started; call start() before sending ${String(command?.type)}`;
      return reject(command, reason);
    }
    const machineCommand = toMachineCommand(command);
    if ('accepted' in machineCommand) return machineCommand;
    const reason = rejectionOf(status, snapshot.context, machineCommand);
    if (reason === null && command.type === 'ADD_JOB') specs.set(command.job.id, command.job);
    // The machine checks the command again and records the verdict in `events$` (the audit log).
    deliverToPlan(actor, machineCommand);
    return reason === null ? { accepted: true } : { accepted: false, reason };
  };
}
