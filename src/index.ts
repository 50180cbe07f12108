/**
 * Run plans of dependent jobs as XState v5 actors: no dropped triggers, concurrency limits,
 * retries, timeouts, cancellation, checkpoints, an integration stage, durable state and live
 * inspection. Start with `createOrchestrator` (or `definePlan` to validate first); the test kit is
 * `plan-orchestrator/testing`, tracing `plan-orchestrator/otel`.
 *
 * @module plan-orchestrator
 */
// The public API. Hand-kept: anything not exported here is internal.

export type { ErrorInfo, FailureKind } from '../machines/errors.js';
export { integrationMachine } from '../machines/integration.machine.js';
export type { JobToPlanEvent } from '../machines/job.machine.js';
export { jobMachine } from '../machines/job.machine.js';
export type { PlanCommand, RetryFrom } from '../machines/plan/commands.js';
export type { JobStatus, PlanJobInput } from '../machines/plan/context.js';
export type { Checkpoint, PlanCommandRecord, PlanRecord } from '../machines/plan/records.js';
export type { CheckpointName, PlanStatus } from '../machines/plan/status.js';
export { type PlanSummary, planMachine } from '../machines/plan.machine.js';
export type { JsonValue } from '../machines/safe-value.js';
export { type PlanGraph, toDot, toMermaid } from './observe/diagram.js';
export { machineToMermaid } from './observe/machine-diagram.js';
export type { MachineGraph, MachineState, MachineTransition } from './observe/machine-graph.js';
export { machineGraphOf } from './observe/machine-graph.js';
export { FileStore, readJournal } from './persistence/file-store.js';
export {
  MAX_RECONNECT_DELAY_MS,
  type RedisConnection,
  redactUrl,
} from './persistence/redis-connection.js';
export { DEFAULT_KEY_PREFIX, type PlanKeys, planKeys, plansKey } from './persistence/redis-keys.js';
export {
  DEFAULT_LEASE_MS,
  type LeaseOwner,
  MAX_LEASE_MS,
  MIN_LEASE_MS,
  RedisStore,
  type RedisStoreOptions,
} from './persistence/redis-store.js';
export type { PlanSnapshot } from './persistence/snapshot.js';
export {
  JOURNAL_FORMAT,
  type JournalHeader,
  MemoryStore,
  type Store,
  type StoredPlan,
} from './persistence/store.js';
export { definePlan } from './plan/define.js';
export { PLAN_LIMITS } from './plan/limits.js';
export type {
  FailurePolicy,
  HookContext,
  IntegrateResult,
  IntegrationSpec,
  IntegrationSubject,
  InterruptPolicy,
  JobNeeds,
  JobRun,
  JobRunContext,
  JobSpec,
  OutputOf,
  PlanMode,
  PlanSpec,
  RetryPolicy,
  SkipPolicy,
  VerifyResult,
} from './plan/types.js';
export { type ValidationResult, validatePlan } from './plan/validate.js';
export {
  type AttemptQueue,
  type AttemptQueueOptions,
  createAttemptQueue,
} from './remote/attempt-queue.js';
export { type AttemptJobData, PROTOCOL_VERSION } from './remote/protocol.js';
export {
  type HandlerJobSpec,
  type QueuedJobSpec,
  type QueuedPlanOptions,
  type QueuedPlanSpec,
  queuedPlan,
  type RemoteWork,
  type RunsOn,
} from './remote/queued-plan.js';
export {
  type AttemptWorker,
  createWorker,
  DEFAULT_CLOSE_GRACE_MS,
  type Handler,
  type WorkerOptions,
} from './remote/worker.js';
export {
  type Command,
  type CommandResult,
  createOrchestrator,
  type Orchestrator,
  type OrchestratorOptions,
} from './runtime/orchestrator.js';
export type { PlanActor } from './runtime/plan-actor.js';
export { createRedactor, MIN_SECRET_LENGTH, REDACTED, type Redact } from './runtime/redact.js';
export { type ResumeOptions, resumeOrchestrator } from './runtime/resume.js';
export type { JobView, PlanView } from './runtime/view.js';
export type { Clock } from './shared/clock.js';
export {
  ControlNoAnswerError,
  InspectorError,
  type InspectorErrorCode,
  JobAbortedError,
  JobTimeoutError,
  LeaseLostError,
  NonRetryableError,
  OrchestratorError,
  type OrchestratorErrorCode,
  OrchestratorOptionError,
  PersistenceError,
  PlanFinishedError,
  type PlanIssue,
  type PlanIssueCode,
  type PlanIssueKind,
  PlanNotRunningError,
  PlanValidationError,
  RedisStoreError,
  type RedisStoreErrorCode,
  RemoteAttemptError,
  type RemoteErrorCode,
  RestoreError,
  ResumeJobsMissingError,
  StateLockedError,
  type StateOwner,
  UnsafeStateFileError,
} from './shared/errors.js';
export type { StampedRecord } from './shared/records.js';
