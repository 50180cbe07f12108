import type { PlanStatus } from '../../machines/plan/commands.js';
import type { JobStatus } from '../../machines/plan/context.js';
import type { PlanRecord } from '../../machines/plan/records.js';

export interface ReplayedPlan {
  status: PlanStatus;
  jobs: Map<string, { status: JobStatus; attempt: number }>;
}

/**
 * Rebuilds plan and job statuses from records alone. The live view and the replay of its records
 * must agree; the test kit checks it after every behaviour test, and a resumed plan relies on it.
 */
export function replayRecords(
  jobIds: readonly string[],
  records: readonly PlanRecord[],
): ReplayedPlan {
  const jobs = new Map<string, { status: JobStatus; attempt: number }>();
  for (const id of jobIds) jobs.set(id, { status: 'waiting', attempt: 0 });
  let status: PlanStatus = 'running';
  const set = (jobId: string, next: JobStatus) => {
    const job = jobs.get(jobId);
    if (job) job.status = next;
  };
  for (const record of records) {
    switch (record.type) {
      case 'job-queued':
        set(record.jobId, 'queued');
        break;
      case 'attempt-started': {
        set(record.jobId, 'running');
        const job = jobs.get(record.jobId);
        if (job) job.attempt = record.attempt;
        break;
      }
      case 'attempt-failed':
        set(record.jobId, 'retrying');
        break;
      case 'job-verifying':
      case 'verify-started':
        set(record.jobId, 'verifying');
        break;
      case 'job-ran':
      case 'integration-requeued':
      case 'integration-interrupted':
        set(record.jobId, 'awaitingIntegration');
        break;
      case 'integration-started':
        set(record.jobId, 'integrating');
        break;
      case 'job-integrated':
        set(record.jobId, 'succeeded');
        break;
      case 'job-added':
        jobs.set(record.jobId, { status: 'waiting', attempt: 0 });
        break;
      case 'finalize-started':
        status = 'finalizing';
        break;
      case 'finalize-failed':
        status = 'paused';
        break;
      case 'job-succeeded':
        set(record.jobId, 'succeeded');
        break;
      case 'job-failed':
        set(record.jobId, 'failed');
        break;
      case 'job-blocked':
        set(record.jobId, 'blocked');
        break;
      case 'job-unblocked':
        set(record.jobId, 'waiting');
        break;
      case 'job-skipped':
        set(record.jobId, 'skipped');
        break;
      case 'job-canceled':
        set(record.jobId, 'canceled');
        break;
      case 'plan-paused':
        status = record.checkpoint.name === 'start' ? 'awaitingApproval' : 'paused';
        break;
      case 'plan-resumed':
        status = 'running';
        break;
      case 'command-accepted':
        if (status === 'awaitingApproval' && record.command.type === 'APPROVE') status = 'running';
        break;
      case 'plan-completed':
        status = 'completed';
        break;
      case 'plan-failed':
        status = 'failed';
        break;
      case 'plan-canceled':
        status = 'canceled';
        break;
    }
  }
  return { status, jobs };
}
