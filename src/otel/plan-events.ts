import type { Attributes } from '@opentelemetry/api';
import type { ErrorInfo } from '../../machines/errors.js';
import type { PlanRecord } from '../../machines/plan/records.js';
import { ATTR } from './attributes.js';

/** A fact about the plan as a whole, shown as an event on the plan span. */
export interface PlanEvent {
  name: string;
  attributes: Attributes;
}

/**
 * The plan span event a record becomes: checkpoints, approvals, commands, and what happened to a
 * job outside its attempts (skipped, canceled, blocked, added). `null` for a record that is not
 * one (it starts or ends a span, or adds nothing a span does not show).
 */
export function planEventOf(record: PlanRecord): PlanEvent | null {
  switch (record.type) {
    case 'plan-paused': {
      const { checkpoint } = record;
      const attributes: Attributes = { [ATTR.checkpoint]: checkpoint.name };
      if ('jobId' in checkpoint) attributes[ATTR.jobId] = checkpoint.jobId;
      if ('kind' in checkpoint) attributes[ATTR.failureKind] = checkpoint.kind;
      if ('error' in checkpoint) attributes[ATTR.failureMessage] = checkpoint.error.message;
      return { name: 'checkpoint', attributes };
    }
    case 'approved':
      return event(record.type, {
        [ATTR.checkpoint]: record.checkpoint,
        ...(record.jobId === undefined ? {} : { [ATTR.jobId]: record.jobId }),
      });
    case 'plan-resumed':
      return event(record.type, {});
    case 'plan-restored':
      return event(record.type, { 'plan_orchestrator.from_seq': record.fromSeq });
    case 'command-accepted':
      return event('command', { [ATTR.command]: record.command.type, [ATTR.outcome]: 'accepted' });
    case 'command-rejected':
      return event('command', {
        [ATTR.command]: record.command.type,
        [ATTR.outcome]: 'rejected',
        [ATTR.reason]: record.reason,
      });
    case 'job-skipped':
      return event(record.type, jobAttributes(record.jobId, record.reason));
    case 'job-blocked':
      return event(record.type, jobAttributes(record.jobId, `blocked by ${record.by}`));
    case 'job-canceled':
    case 'job-unblocked':
    case 'job-added':
    case 'change-proposed':
    case 'integration-requeued':
      return event(record.type, jobAttributes(record.jobId));
    case 'persistence-failed':
    case 'subscriber-failed':
      return event(record.type, errorAttributes(record.error));
    default:
      return null;
  }
}

/** What a failure's span or event says of its error. */
export function errorAttributes(error: ErrorInfo): Attributes {
  return { [ATTR.errorType]: error.name, [ATTR.failureMessage]: error.message };
}

function event(name: string, attributes: Attributes): PlanEvent {
  return { name, attributes };
}

function jobAttributes(jobId: string, reason?: string): Attributes {
  return reason === undefined
    ? { [ATTR.jobId]: jobId }
    : { [ATTR.jobId]: jobId, [ATTR.reason]: reason };
}
