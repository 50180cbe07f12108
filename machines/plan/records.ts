import type { ErrorInfo, FailureKind } from '../errors.js';
import type { PlanJobInput } from './context.js';
import type { CheckpointName } from './status.js';

/** Where the plan stopped for a person (or the user) to decide. */
export type Checkpoint =
  | { name: 'start' }
  | { name: 'on_error'; jobId: string; kind: FailureKind; error: ErrorInfo }
  | { name: 'on_error'; kind: 'finalize_failed'; error: ErrorInfo }
  | { name: 'pre_run'; jobId: string }
  | { name: 'pre_integrate'; jobId: string }
  | { name: 'pre_finalize' }
  | { name: 'pre_change'; jobIds: string[] }
  | { name: 'persistence'; error: ErrorInfo }
  | { name: 'user' };

/**
 * The domain records the plan machine emits, one per fact, in order. They feed `events$` and
 * the journal, and replaying them rebuilds the plan view.
 */
export type PlanRecord =
  | { type: 'plan-started'; planId: string; jobs: number }
  | { type: 'job-queued'; jobId: string }
  | { type: 'attempt-started'; jobId: string; attemptId: string; attempt: number }
  | { type: 'attempt-running'; jobId: string; attemptId: string }
  | { type: 'job-progress'; jobId: string; attemptId: string; progress: unknown }
  | { type: 'job-verifying'; jobId: string; attemptId: string }
  /** `RETRY_JOB { from: 'verify' }` started checking the kept result again. */
  | { type: 'verify-started'; jobId: string; attemptId: string }
  /**
   * The job's work succeeded; with an integration stage it now awaits integration. `approved`
   * marks a result that failed verification and was accepted by `APPROVE`.
   */
  | { type: 'job-ran'; jobId: string; attemptId: string; output: unknown; approved?: true }
  | { type: 'integration-started'; jobId: string; integrationId: string }
  | { type: 'job-integrated'; jobId: string; integrationId: string; changed: boolean }
  /** `RETRY_JOB { from: 'integrate' }`: the job awaits integration again. */
  | { type: 'integration-requeued'; jobId: string }
  | {
      type: 'attempt-failed';
      jobId: string;
      attemptId: string;
      kind: FailureKind;
      error: ErrorInfo;
      retryInMs: number;
    }
  | { type: 'attempt-due'; jobId: string; attemptId: string }
  /**
   * The process stopped while this attempt ran; it counts as its outcome. The job runs again
   * (at least once), or, with `onInterrupt: 'hold'`, fails with kind `interrupted` and waits at
   * `on_error` for a person.
   */
  | { type: 'attempt-interrupted'; jobId: string; attemptId: string }
  /** The process stopped mid-integration; the job integrates again, rolled back first. */
  | { type: 'integration-interrupted'; jobId: string; integrationId: string }
  /** A plan resumed from its journal. */
  | { type: 'plan-restored'; fromSeq: number; warnings: string[] }
  | { type: 'persistence-failed'; error: ErrorInfo }
  /** A subscriber of `events$` or `view$` threw; reported once per subscriber, the plan goes on. */
  | { type: 'subscriber-failed'; stream: 'events$' | 'view$'; error: ErrorInfo }
  | { type: 'job-succeeded'; jobId: string; attemptId: string; output: unknown; approved?: true }
  | {
      type: 'job-failed';
      jobId: string;
      attemptId: string;
      kind: FailureKind;
      error: ErrorInfo;
      violations?: string[];
      /** The rejected result, for a verification failure. */
      output?: unknown;
    }
  | { type: 'job-added'; jobId: string; job: PlanJobInput }
  | { type: 'change-proposed'; jobId: string; job: PlanJobInput }
  /** An `APPROVE` took effect at this checkpoint (for this job). */
  | { type: 'approved'; checkpoint: CheckpointName; jobId?: string }
  | { type: 'job-blocked'; jobId: string; by: string }
  | { type: 'job-unblocked'; jobId: string }
  | { type: 'job-skipped'; jobId: string; reason?: string }
  | { type: 'job-canceled'; jobId: string }
  | { type: 'result-ignored'; jobId: string; attemptId: string; event: string; why: string }
  | { type: 'command-accepted'; command: PlanCommandRecord }
  | { type: 'command-rejected'; command: PlanCommandRecord; reason: string }
  | { type: 'plan-paused'; checkpoint: Checkpoint }
  | { type: 'plan-resumed' }
  | { type: 'finalize-started' }
  | { type: 'finalize-failed'; error: ErrorInfo }
  | { type: 'finalize-succeeded'; output: unknown }
  | { type: 'plan-completed' }
  | { type: 'plan-failed'; reason: string }
  | { type: 'plan-canceled'; reason?: string };

/** A command as it appears in the audit log. */
export type PlanCommandRecord = { type: string } & Record<string, unknown>;
