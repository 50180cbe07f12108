/**
 * The attribute keys of the spans and span events `traceOrchestrator` makes, under one
 * `plan_orchestrator.` namespace (OpenTelemetry's advice for attributes of a library's own), plus
 * the semantic-convention `error.type` on a failure.
 */
export const ATTR = {
  /** The plan's id, on every span. */
  planId: 'plan_orchestrator.plan.id',
  /** How many jobs the plan started with, on the plan span. */
  planJobs: 'plan_orchestrator.plan.jobs',
  /** `true` on the plan span of a plan resumed from its journal. */
  planResumed: 'plan_orchestrator.plan.resumed',
  /** The job's id, on attempt and integration spans and on job events. */
  jobId: 'plan_orchestrator.job.id',
  /** 1, 2, 3…: which attempt of its job an attempt span is. */
  attemptNumber: 'plan_orchestrator.attempt.number',
  /** `<jobId>#<n>`, the attempt's id (the idempotency key jobs receive). */
  attemptId: 'plan_orchestrator.attempt.id',
  /** `<jobId>@<n>`, the integration's id. */
  integrationId: 'plan_orchestrator.integration.id',
  /** Whether the integration changed anything (`integrate` returned `{ changed: false }`). */
  integrationChanged: 'plan_orchestrator.integration.changed',
  /**
   * How the span's work ended: `succeeded`, `failed`, `skipped` or `canceled` (an attempt's job was
   * skipped or canceled while it ran), `completed` or `canceled` (a plan), `unfinished` (still open
   * when tracing ended); on a command event, `accepted` or `rejected`.
   */
  outcome: 'plan_orchestrator.outcome',
  /** The failure kind (`job_failed`, `timeout`, `verification`, `integration_conflict`, `check_failed`, `interrupted`). */
  failureKind: 'plan_orchestrator.failure.kind',
  /** The failure's message. */
  failureMessage: 'plan_orchestrator.failure.message',
  /** Milliseconds until the next attempt, on an attempt span that failed and is retried. */
  retryInMs: 'plan_orchestrator.retry.delay_ms',
  /** The checkpoint's name (`start`, `on_error`, `pre_integrate`, …), on checkpoint events. */
  checkpoint: 'plan_orchestrator.checkpoint',
  /** A command's type, on command events. */
  command: 'plan_orchestrator.command',
  /** Why: a skip's or cancel's reason, a rejected command's reason, a plan's failure. */
  reason: 'plan_orchestrator.reason',
  /** OpenTelemetry's semantic convention for the class of an error: the error's name. */
  errorType: 'error.type',
} as const;
