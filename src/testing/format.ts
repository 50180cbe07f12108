import type { PlanRecord } from '../../machines/plan/records.js';

/**
 * A record as one short line, for event-sequence assertions: `start A#1`, `succeeded A#1`,
 * `blocked D by B`, `rejected RETRY_JOB A`, `paused on_error A`.
 */
export function formatRecord(record: PlanRecord): string {
  switch (record.type) {
    case 'plan-started':
      return 'plan-started';
    case 'job-queued':
      return `queued ${record.jobId}`;
    case 'attempt-started':
      return `start ${record.attemptId}`;
    case 'attempt-running':
      return `running ${record.attemptId}`;
    case 'job-progress':
      return `progress ${record.attemptId}`;
    case 'attempt-failed':
      return `retry ${record.attemptId} ${record.kind} in ${record.retryInMs}ms`;
    case 'attempt-due':
      return `due ${record.attemptId}`;
    case 'job-succeeded':
      return `succeeded ${record.attemptId}`;
    case 'job-failed':
      return `failed ${record.attemptId} ${record.kind}`;
    case 'job-blocked':
      return `blocked ${record.jobId} by ${record.by}`;
    case 'job-unblocked':
      return `unblocked ${record.jobId}`;
    case 'job-skipped':
      return `skipped ${record.jobId}`;
    case 'job-canceled':
      return `canceled ${record.jobId}`;
    case 'result-ignored':
      return `ignored ${record.event} ${record.attemptId}`;
    case 'command-accepted':
    case 'command-rejected': {
      const verdict = record.type === 'command-accepted' ? 'accepted' : 'rejected';
      const jobId = typeof record.command.jobId === 'string' ? ` ${record.command.jobId}` : '';
      return `${verdict} ${record.command.type}${jobId}`;
    }
    case 'plan-paused': {
      const { checkpoint } = record;
      if ('jobId' in checkpoint) return `paused ${checkpoint.name} ${checkpoint.jobId}`;
      if ('jobIds' in checkpoint) return `paused ${checkpoint.name} ${checkpoint.jobIds.join(',')}`;
      return checkpoint.name === 'on_error'
        ? `paused on_error ${checkpoint.kind}`
        : `paused ${checkpoint.name}`;
    }
    case 'job-verifying':
      return `verifying ${record.attemptId}`;
    case 'verify-started':
      return `reverify ${record.attemptId}`;
    case 'job-ran':
      return `ran ${record.attemptId}`;
    case 'integration-started':
      return `integrate ${record.integrationId}`;
    case 'job-integrated':
      return `integrated ${record.integrationId}${record.changed ? '' : ' (no change)'}`;
    case 'integration-requeued':
      return `requeued ${record.jobId}`;
    case 'job-added':
      return `added ${record.jobId}`;
    case 'change-proposed':
      return `proposed ${record.jobId}`;
    case 'attempt-interrupted':
      return `interrupted ${record.attemptId}`;
    case 'integration-interrupted':
      return `interrupted ${record.integrationId}`;
    case 'plan-restored':
      return `restored from ${record.fromSeq}`;
    case 'persistence-failed':
      return 'persistence-failed';
    case 'subscriber-failed':
      return `subscriber-failed ${record.stream}`;
    case 'approved':
      return `approved ${record.checkpoint}${record.jobId ? ` ${record.jobId}` : ''}`;
    case 'finalize-started':
      return 'finalize';
    case 'finalize-failed':
      return 'finalize-failed';
    case 'finalize-succeeded':
      return 'finalized';
    case 'plan-resumed':
      return 'resumed';
    case 'plan-completed':
      return 'completed';
    case 'plan-failed':
      return 'failed';
    case 'plan-canceled':
      return 'canceled';
  }
}
