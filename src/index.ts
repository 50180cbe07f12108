// The public API. Hand-kept: anything not exported here is internal.

export type { ErrorInfo, FailureKind } from '../machines/errors.js';
export { integrationMachine } from '../machines/integration.machine.js';
export type { JobToPlanEvent } from '../machines/job.machine.js';
export { jobMachine } from '../machines/job.machine.js';
export type { CheckpointName, PlanCommand, PlanStatus } from '../machines/plan/commands.js';
export type { JobStatus } from '../machines/plan/context.js';
export type { Checkpoint, PlanRecord } from '../machines/plan/records.js';
export { type PlanSummary, planMachine } from '../machines/plan.machine.js';
export { type Inspector, type InspectorOptions, startInspector } from './inspector/server.js';
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
export { type ResumeOptions, resumeOrchestrator } from './persistence/resume.js';
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
  JobRun,
  JobRunContext,
  JobSpec,
  PlanMode,
  PlanSpec,
  RetryPolicy,
  SkipPolicy,
  VerifyResult,
} from './plan/types.js';
export { validatePlan } from './plan/validate.js';
export {
  type AttemptQueue,
  type AttemptQueueOptions,
  createAttemptQueue,
} from './remote/attempt-queue.js';
export { PROTOCOL_VERSION } from './remote/protocol.js';
export {
  type HandlerJobSpec,
  type QueuedJobSpec,
  type QueuedPlanOptions,
  type QueuedPlanSpec,
  queuedPlan,
  type RunsOn,
} from './remote/queued-plan.js';
export {
  type AttemptWorker,
  createWorker,
  DEFAULT_CLOSE_GRACE_MS,
  type Handler,
  type WorkerOptions,
} from './remote/worker.js';
export type { Clock } from './runtime/clock.js';
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
} from './runtime/errors.js';
export {
  type Command,
  type CommandResult,
  createOrchestrator,
  type Orchestrator,
  type OrchestratorOptions,
} from './runtime/orchestrator.js';
export type { StampedRecord } from './runtime/records.js';
export { createRedactor, MIN_SECRET_LENGTH, REDACTED, type Redact } from './runtime/redact.js';
export type { JobView, PlanView } from './runtime/view.js';
