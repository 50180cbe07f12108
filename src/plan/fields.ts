import type { Bounds } from './range.js';
import {
  DEFAULT_MAX_PARALLEL,
  type IntegrationSpec,
  type JobSpec,
  MAX_MAX_PARALLEL,
  type PlanSpec,
  type RetryPolicy,
} from './types.js';

/**
 * Every field of a plan, a job, a retry policy and an integration stage, with the rule its value
 * follows. The validator checks plans against these rules and the plan file's JSON Schema is
 * generated from them; each table must name every field of its interface and no other (the
 * compiler checks both), so a field added to an interface cannot be forgotten here.
 */
export type FieldRule = {
  /** Shown by editors for the field of a plan file. */
  doc: string;
  /** The field must be there. Default false. */
  required?: boolean;
} & (
  | NumberRule
  /** Any finite number. */
  | { type: 'finite'; default?: number }
  | { type: 'choice'; values: readonly string[]; default?: string }
  | { type: 'string' }
  | { type: 'boolean'; default?: boolean }
  /** A plan or job id: see `ID_PATTERN`. */
  | { type: 'id' }
  /** A list of job ids. */
  | { type: 'ids' }
  /** Any JSON value. */
  | { type: 'json' }
  /** A nested object whose fields are given by another table. */
  | { type: 'object'; fields: 'retry' | 'integration' }
  | { type: 'jobs' }
  /** A function: only a plan written in code can have one. */
  | { type: 'function' }
);

/** A number between bounds, whole for `integer`. */
export type NumberRule = { type: 'integer' | 'number'; default?: number } & Omit<Bounds, 'integer'>;

/** A table naming exactly the fields of `T`, each with its rule. */
export type Fields<T> = { readonly [K in keyof T]-?: FieldRule };

/** One day in ms: the longest retry delay. */
const ONE_DAY_MS = 86_400_000;
/** The longest delay a timer can wait (2^31 - 1 ms). */
const MAX_TIMER_MS = 2_147_483_647;
export const DEFAULT_INITIAL_DELAY_MS = 1000;

/** A time limit a timer can wait for. */
const TIME_LIMIT = { type: 'integer', min: 1, max: MAX_TIMER_MS } as const;

const INTERRUPT_POLICY = {
  type: 'choice',
  values: ['rerun', 'hold'],
  doc: 'What a restore does with an attempt that was running when the process stopped: rerun it as the next attempt, or hold the job at the on_error checkpoint.',
} as const;

export const RETRY_FIELDS = {
  maxAttempts: {
    type: 'integer',
    min: 1,
    max: 1000,
    required: true,
    doc: 'Total attempts including the first.',
  },
  initialDelayMs: {
    type: 'integer',
    min: 0,
    max: ONE_DAY_MS,
    default: DEFAULT_INITIAL_DELAY_MS,
    doc: 'Delay before the second attempt, in ms.',
  },
  factor: {
    type: 'number',
    min: 1,
    max: 100,
    default: 2,
    doc: 'Multiplier applied to the delay after each failed attempt.',
  },
  maxDelayMs: {
    type: 'integer',
    min: 0,
    max: ONE_DAY_MS,
    default: 60_000,
    doc: 'Upper bound of any delay, in ms; at least initialDelayMs.',
  },
  jitter: {
    type: 'number',
    min: 0,
    max: 1,
    default: 0,
    doc: 'Fraction of the delay to randomise, 0 (none) to 1.',
  },
} as const satisfies Fields<RetryPolicy>;

export const INTEGRATION_FIELDS = {
  integrate: { type: 'function', required: true, doc: "Brings a job's result in." },
  check: { type: 'function', doc: 'Checks the integrated state (e.g. runs the tests).' },
  rollback: { type: 'function', doc: 'Undoes an integration whose check failed.' },
  order: {
    type: 'choice',
    values: ['strict', 'completion'],
    default: 'completion',
    doc: 'completion: in the order jobs finish; strict: in plan order.',
  },
  checkTimeoutMs: { ...TIME_LIMIT, doc: 'Time limit of one check, in ms.' },
} as const satisfies Fields<IntegrationSpec>;

export const JOB_FIELDS = {
  id: { type: 'id', required: true, doc: 'Unique in the plan.' },
  dependsOn: { type: 'ids', doc: 'Ids of the jobs that must succeed before this one starts.' },
  run: { type: 'function', required: true, doc: "The job's work." },
  input: { type: 'json', doc: 'A JSON value handed to run as ctx.input.' },
  retry: { type: 'object', fields: 'retry', doc: 'Retry policy; without one, one attempt.' },
  timeoutMs: { ...TIME_LIMIT, doc: 'Time limit of one attempt, in ms. Default: none.' },
  priority: {
    type: 'finite',
    default: 0,
    doc: 'Higher starts first among ready jobs, counting the highest priority among the jobs that need it; ties go in declaration order.',
  },
  verify: { type: 'function', doc: 'Checks a successful result.' },
  onInterrupt: { ...INTERRUPT_POLICY, doc: `${INTERRUPT_POLICY.doc} Default: the plan's.` },
  requiresApproval: {
    type: 'boolean',
    default: false,
    doc: 'Hold the job before its first attempt, in every mode, until approve --job names it.',
  },
} as const satisfies Fields<JobSpec>;

export const PLAN_FIELDS = {
  id: { type: 'id', required: true, doc: 'The plan id.' },
  name: { type: 'string', doc: 'A name for people.' },
  mode: {
    type: 'choice',
    values: ['autopilot', 'copilot', 'supervisor'],
    default: 'autopilot',
    doc: 'copilot waits for an approval before anything runs; supervisor also before each integration and finalize.',
  },
  maxParallel: {
    type: 'integer',
    min: 1,
    max: MAX_MAX_PARALLEL,
    default: DEFAULT_MAX_PARALLEL,
    doc: 'Jobs running at once.',
  },
  onJobFailure: {
    type: 'choice',
    values: ['pause', 'fail', 'continue'],
    doc: 'What a job failure does to the plan. Default: fail in autopilot, pause in copilot and supervisor.',
  },
  onSkip: {
    type: 'choice',
    values: ['block', 'release'],
    default: 'block',
    doc: 'What skipping a job means to its dependents: block them, or release them to run.',
  },
  onInterrupt: { ...INTERRUPT_POLICY, default: 'rerun' },
  defaultRetry: {
    type: 'object',
    fields: 'retry',
    doc: 'Retry policy of every job that has none of its own.',
  },
  integration: {
    type: 'object',
    fields: 'integration',
    doc: 'The serial integration stage (a merge train).',
  },
  finalize: { type: 'function', doc: 'Runs once after every job succeeded.' },
  jobs: { type: 'jobs', required: true, doc: 'The jobs of the plan.' },
} as const satisfies Fields<PlanSpec>;

/**
 * Names other tools use for a job's fields (GitHub Actions' `needs`, `retries` in many runners),
 * suggested by an unknown field's "did you mean" whatever their spelling distance.
 */
export const JOB_FIELD_ALIASES: Readonly<Record<string, keyof JobSpec>> = {
  needs: 'dependsOn',
  dependencies: 'dependsOn',
  retries: 'retry',
  'timeout-minutes': 'timeoutMs',
};

/** The names of a table's fields, in the order written. */
export const fieldNames = <T extends object>(fields: T): readonly (keyof T & string)[] =>
  Object.keys(fields) as (keyof T & string)[];
