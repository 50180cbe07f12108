/**
 * Every code an `OrchestratorError` carries, thrown by the library or reported by the command
 * line; the README lists each with what it means and what to do.
 */
export type OrchestratorErrorCode =
  | 'PLAN_INVALID'
  | 'ORCHESTRATOR_OPTION'
  | 'JOB_NON_RETRYABLE'
  | 'JOB_TIMEOUT'
  | 'JOB_SKIPPED'
  | 'JOB_CANCELED'
  | 'PERSISTENCE_FAILED'
  | 'RESTORE_FAILED'
  | 'PLAN_FINISHED'
  | 'RESUME_JOBS_MISSING'
  | 'STATE_LOCKED'
  | 'STATE_HAS_JOURNAL'
  | 'STATE_FILE_UNSAFE'
  | 'LEASE_LOST'
  | 'PLAN_NOT_RUNNING'
  | 'CONTROL_NO_ANSWER'
  | RedisStoreErrorCode
  | InspectorErrorCode
  | RemoteErrorCode
  /** Command line only: options that cannot go together, or one missing its partner. */
  | 'USAGE'
  /** Command line only: no plan of that id is kept in this Redis. */
  | 'PLAN_NOT_FOUND'
  /** Command line only: the Redis URL names a database the server does not have. */
  | 'REDIS_DB_INVALID';

/** The brand every instance of `cls` carries; shared by all copies of this package. */
function brandOf(cls: { name: string }): symbol {
  return Symbol.for(`plan-orchestrator/${cls.name}`);
}

/** `value` carries the brand of `cls`, or (an object made some other way) has it on its prototype chain. */
function isBranded(cls: abstract new (...args: never[]) => unknown, value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if ((value as Record<symbol, unknown>)[brandOf(cls)] === true) return true;
  return Function.prototype[Symbol.hasInstance].call(cls, value);
}

/**
 * Every error this library throws or reports extends `OrchestratorError` and carries a stable
 * `code`, so callers can branch on it without parsing messages.
 *
 * `instanceof` works across copies of this package (two versions installed side by side, or one
 * loaded twice): each instance carries a `Symbol.for('plan-orchestrator/<ClassName>')` brand for
 * its class and every class it extends, and `instanceof` checks the brand, not the prototype.
 */
export class OrchestratorError extends Error {
  readonly code: OrchestratorErrorCode;

  constructor(code: OrchestratorErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    // Branded up the class chain, so `instanceof` of any ancestor holds in every copy.
    for (let cls: unknown = new.target; cls !== Error; cls = Object.getPrototypeOf(cls)) {
      Object.defineProperty(this, brandOf(cls as { name: string }), { value: true });
    }
  }

  static override [Symbol.hasInstance]<T extends abstract new (...args: never[]) => unknown>(
    this: T,
    value: unknown,
  ): value is InstanceType<T> {
    // biome-ignore lint/complexity/noThisInStatic: the class right of `instanceof`, maybe a subclass
    return isBranded(this, value);
  }
}

/** One problem found in a plan. `path` points into the spec, e.g. `jobs[2].dependsOn[0]`. */
export interface PlanIssue {
  /** The broad class of the problem, printed by the command line. */
  code: PlanIssueCode;
  /** What exactly is wrong, for programs that act on issues (editors, loaders, tools). */
  kind: PlanIssueKind;
  path: string;
  /**
   * The field the issue is about, relative to its job (or to the plan when there is no `jobId`):
   * `timeoutMs`, `retry.maxAttempts`, or the unknown field itself. Absent when the issue is
   * about a whole job or plan.
   */
  field?: string;
  message: string;
  jobId?: string;
  /** The closest known name, when the message says "did you mean". */
  suggestion?: string;
}

/**
 * What exactly is wrong with a value. Stable: new kinds may be added, none renamed.
 * - `unreadable`: the spec could not be read (a getter threw).
 * - `wrong_type`: a value of the wrong type (a string for a number, an object for a list, …).
 * - `missing`: a required field is absent.
 * - `unknown_field`: a field no rule knows; `field` names it, `suggestion` the likely one.
 * - `out_of_range`: a number outside its bounds (or not whole, or not finite).
 * - `not_one_of`: a string outside a field's choices.
 * - `invalid_id`: a plan or job id outside the id grammar.
 * - `duplicate_id`: an id used twice.
 * - `duplicate_dependency`: the same job listed twice in one `dependsOn`.
 * - `unknown_dependency`: a dependency on a job the plan does not have.
 * - `cycle`: jobs depending on each other in a circle.
 * - `too_large`: over a size limit; `near_limit`: past three quarters of one (a warning).
 * - `conflict`: two fields that cannot go together.
 * - `invalid_name`, `invalid_value`: a name or value (of an env variable) no process can receive.
 * - `outside_folder`: a plan file's `cwd` leading out of the file's folder.
 * - `missing_folder`: a plan file's `cwd` naming no folder.
 * - `secret_unusable`: a secret taken from the environment that is unset or too short.
 * - `invalid_expression`: a `${{ … }}` of a plan file that names nothing its place offers.
 */
export type PlanIssueKind =
  | 'unreadable'
  | 'wrong_type'
  | 'missing'
  | 'unknown_field'
  | 'out_of_range'
  | 'not_one_of'
  | 'invalid_id'
  | 'duplicate_id'
  | 'duplicate_dependency'
  | 'unknown_dependency'
  | 'cycle'
  | 'too_large'
  | 'near_limit'
  | 'conflict'
  | 'invalid_name'
  | 'invalid_value'
  | 'outside_folder'
  | 'missing_folder'
  | 'secret_unusable'
  | 'invalid_expression';

/** The broad class of a `PlanIssue`, printed by the command line. */
export type PlanIssueCode =
  | 'INVALID_PLAN'
  | 'INVALID_ID'
  | 'DUPLICATE_ID'
  | 'UNKNOWN_DEPENDENCY'
  | 'CYCLE'
  | 'INVALID_OPTION'
  | 'INVALID_JOB'
  /** Over a documented size limit (jobs, dependencies, file, command line). */
  | 'PLAN_TOO_LARGE'
  /** A warning, never an error: past three quarters of a size limit. */
  | 'PLAN_NEAR_LIMIT';

/** A plan (or an added job) failed validation; `issues` lists every problem found in one pass. */
export class PlanValidationError extends OrchestratorError {
  readonly issues: readonly PlanIssue[];

  constructor(issues: readonly PlanIssue[]) {
    const head = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super(
      'PLAN_INVALID',
      `Plan is invalid (${head}):\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n')}`,
    );
    this.issues = issues;
  }
}

/** An option of `createOrchestrator` or `resumeOrchestrator` is out of its documented bounds. */
export class OrchestratorOptionError extends OrchestratorError {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super('ORCHESTRATOR_OPTION', message);
  }
}

/** Thrown by a job's `run` to fail the job at once, without using its remaining retries. */
export class NonRetryableError extends OrchestratorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('JOB_NON_RETRYABLE', message, options);
  }
}

/** The reason of a job's `signal` when its attempt ran past `timeoutMs`. */
export class JobTimeoutError extends OrchestratorError {
  constructor(jobId: string, attempt: number, timeoutMs: number) {
    super('JOB_TIMEOUT', `Job "${jobId}" attempt ${attempt} timed out after ${timeoutMs} ms`);
  }
}

/** The reason of a job's `signal` when the job was skipped or the plan canceled. */
export class JobAbortedError extends OrchestratorError {
  constructor(jobId: string, why: 'skipped' | 'canceled', detail?: string) {
    super(
      why === 'skipped' ? 'JOB_SKIPPED' : 'JOB_CANCELED',
      `Job "${jobId}" was ${why}${detail ? `: ${detail}` : ''}`,
    );
  }
}

/** Writing the plan's state failed (EIO, ENOSPC, EACCES, …); the plan pauses, nothing is lost. */
export class PersistenceError extends OrchestratorError {
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super('PERSISTENCE_FAILED', `Could not write plan state to ${path}: ${reason}`, { cause });
  }
}

/** `resumeOrchestrator` of a plan whose journal says it ended; `outcome` says how. */
export class PlanFinishedError extends OrchestratorError {
  constructor(
    planId: string,
    readonly outcome: 'completed' | 'failed' | 'canceled',
  ) {
    super('PLAN_FINISHED', `Plan "${planId}" already ${outcome}; there is nothing to resume`);
  }
}

/**
 * `resumeOrchestrator` was given a plan without some jobs its journal has (added while it ran, or
 * removed from the plan since): `missing` names them; add them with their run functions.
 */
export class ResumeJobsMissingError extends OrchestratorError {
  constructor(
    planId: string,
    readonly missing: readonly string[],
  ) {
    super(
      'RESUME_JOBS_MISSING',
      `Plan "${planId}" cannot resume: its journal has jobs the given plan lacks (${missing.join(', ')}); add them with their run functions`,
    );
  }
}

/** A control command found no process running the plan (no state folder socket, no listener). */
export class PlanNotRunningError extends OrchestratorError {
  constructor(message: string) {
    super('PLAN_NOT_RUNNING', message);
  }
}

/**
 * A control command got no valid answer in time from the process running the plan: it may or
 * may not have been applied.
 */
export class ControlNoAnswerError extends OrchestratorError {
  constructor(message: string) {
    super('CONTROL_NO_ANSWER', message);
  }
}

/** Stored plan state could not be read back; `file` and `line` say where. */
export class RestoreError extends OrchestratorError {
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly problem: string,
  ) {
    super(
      'RESTORE_FAILED',
      `Cannot restore from ${file}${line !== null ? `:${line}` : ''}: ${problem}`,
    );
  }
}

/** The codes of `InspectorError`: a bad option, a refused host, a port in use. */
export type InspectorErrorCode = 'INSPECTOR_OPTION' | 'INSPECTOR_REMOTE' | 'INSPECTOR_LISTEN';

/** The local inspector could not start: a bad option, a refused host, or a port in use. */
export class InspectorError extends OrchestratorError {
  declare readonly code: InspectorErrorCode;

  constructor(code: InspectorErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Who holds a plan's state: the process that took its lock. */
export interface StateOwner {
  pid: number;
  host: string;
  /** ISO time the owner took the state. */
  startedAt: string;
  /** Unique per owner, so a lock is never mistaken for another's with the same pid. */
  ownerId: string;
  /** When the process started, in clock ticks since boot (Linux), to tell a reused pid apart. */
  processStart?: number;
}

/**
 * A plan's state already has a live owner (another process runs or resumes the plan), or holds a
 * plan when a new one was asked for; nothing of it was touched.
 */
export class StateLockedError extends OrchestratorError {
  declare readonly code: 'STATE_LOCKED' | 'STATE_HAS_JOURNAL';

  constructor(
    readonly where: string,
    readonly owner: StateOwner | null,
    message: string,
    code: 'STATE_LOCKED' | 'STATE_HAS_JOURNAL' = 'STATE_LOCKED',
  ) {
    super(code, message);
  }
}

/** A state file's place holds something that is not a plain file of ours (a symbolic link, say). */
export class UnsafeStateFileError extends OrchestratorError {
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super('STATE_FILE_UNSAFE', `Refusing to use ${path}: ${problem}`);
  }
}

/**
 * A Redis-kept plan was taken over by another coordinator (its lease ran out and another took
 * it, with a newer fencing token): this one writes nothing more and stops. `owner` names the new
 * owner when it is known.
 */
export class LeaseLostError extends OrchestratorError {
  constructor(
    readonly where: string,
    readonly owner: StateOwner | null,
    message: string,
  ) {
    super('LEASE_LOST', message);
  }
}

/** The codes of `RedisStoreError`. */
export type RedisStoreErrorCode =
  /** The connection is not a Redis URL (`redis://` or `rediss://`). */
  | 'REDIS_URL'
  /** Redis could not be reached (refused, timed out, unknown host). */
  | 'REDIS_UNREACHABLE'
  /** Redis refused the user or password. */
  | 'REDIS_AUTH'
  /** A key of the plan holds another kind of value than the store keeps there. */
  | 'REDIS_WRONG_TYPE';

/** A Redis store could not use its server or keys; nothing was written. */
export class RedisStoreError extends OrchestratorError {
  declare readonly code: RedisStoreErrorCode;

  constructor(code: RedisStoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Codes of attempts run on BullMQ workers (`RemoteAttemptError`). */
export type RemoteErrorCode =
  /** A job names a handler the worker that took its attempt has not registered. */
  | 'UNKNOWN_HANDLER'
  /** The worker running an attempt stopped answering more often than the stall limit allows. */
  | 'WORKER_LOST'
  /** A worker and a coordinator speak different versions of the queue protocol. */
  | 'WORKER_PROTOCOL'
  /** An option of an attempt queue or a worker is out of bounds. */
  | 'QUEUE_OPTION';

/** An attempt could not run on a worker, or a queue or worker was set up wrongly. */
export class RemoteAttemptError extends OrchestratorError {
  declare readonly code: RemoteErrorCode;

  constructor(code: RemoteErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
