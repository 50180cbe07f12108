import type { PlanIssue, PlanIssueCode } from '../runtime/errors.js';
import { findCycles } from './graph.js';
import { suggest } from './suggest.js';
import { MAX_MAX_PARALLEL, type PlanSpec } from './types.js';

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/;
const ID_RULE = 'a letter or digit, then up to 79 letters, digits, ".", "_" or "-"';
const PLAN_KEYS = [
  'id',
  'name',
  'mode',
  'maxParallel',
  'onJobFailure',
  'onSkip',
  'defaultRetry',
  'integration',
  'finalize',
  'jobs',
];
const INTEGRATION_KEYS = ['integrate', 'check', 'rollback', 'order', 'checkTimeoutMs'];
const JOB_KEYS = ['id', 'dependsOn', 'run', 'input', 'retry', 'timeoutMs', 'priority', 'verify'];
const RETRY_KEYS = ['maxAttempts', 'initialDelayMs', 'factor', 'maxDelayMs', 'jitter'];
const ONE_DAY_MS = 86_400_000;
const MAX_TIMER_MS = 2_147_483_647;

/** A value as an error message shows it, with its type: `1.5 (number)`, `"4" (string)`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') {
    const text = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return `${JSON.stringify(text)} (string)`;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${String(value)} (${typeof value})`;
  }
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return `${typeof value === 'object' ? 'an object' : typeof value}`;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

class Issues {
  readonly list: PlanIssue[] = [];
  add(code: PlanIssueCode, path: string, message: string, jobId?: string): void {
    this.list.push({ code, path, message, ...(jobId !== undefined ? { jobId } : {}) });
  }
}

function checkKeys(
  value: Record<string, unknown>,
  allowed: readonly string[],
  path: string,
  issues: Issues,
  jobId?: string,
) {
  for (const key of Object.keys(value)) {
    if (allowed.includes(key)) continue;
    const near = suggest(key, allowed);
    const hint = near ? `; did you mean "${near}"?` : `; known fields: ${allowed.join(', ')}`;
    issues.add(
      'INVALID_OPTION',
      `${path}${path ? '.' : ''}${key}`,
      `unknown field "${key}"${hint}`,
      jobId,
    );
  }
}

function checkId(value: unknown, path: string, what: string, issues: Issues): value is string {
  if (typeof value === 'string' && ID_PATTERN.test(value)) return true;
  issues.add('INVALID_ID', path, `${what} must be ${ID_RULE}; got ${describeValue(value)}`);
  return false;
}

interface NumberRule {
  integer: boolean;
  min: number;
  max: number;
}

function checkNumber(
  value: unknown,
  rule: NumberRule,
  path: string,
  issues: Issues,
  jobId?: string,
): boolean {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!rule.integer || Number.isInteger(value)) &&
    value >= rule.min &&
    value <= rule.max;
  if (!ok) {
    const kind = rule.integer ? 'an integer' : 'a number';
    const name = path.slice(path.lastIndexOf('.') + 1);
    issues.add(
      'INVALID_OPTION',
      path,
      `${name} must be ${kind} from ${rule.min} to ${rule.max}; got ${describeValue(value)}`,
      jobId,
    );
  }
  return ok;
}

function checkChoice(
  value: unknown,
  choices: readonly string[],
  path: string,
  issues: Issues,
): void {
  if (value === undefined || (typeof value === 'string' && choices.includes(value))) return;
  issues.add(
    'INVALID_OPTION',
    path,
    `${path} must be one of ${choices.map((c) => `"${c}"`).join(', ')}; got ${describeValue(value)}`,
  );
}

function checkRetry(value: unknown, path: string, issues: Issues, jobId?: string): void {
  if (value === undefined) return;
  if (!isObject(value)) {
    issues.add(
      'INVALID_OPTION',
      path,
      `${path} must be an object such as { maxAttempts: 3 }; got ${describeValue(value)}`,
      jobId,
    );
    return;
  }
  checkKeys(value, RETRY_KEYS, path, issues, jobId);
  checkNumber(
    value.maxAttempts,
    { integer: true, min: 1, max: 1000 },
    `${path}.maxAttempts`,
    issues,
    jobId,
  );
  const initialOk =
    value.initialDelayMs === undefined ||
    checkNumber(
      value.initialDelayMs,
      { integer: true, min: 0, max: ONE_DAY_MS },
      `${path}.initialDelayMs`,
      issues,
      jobId,
    );
  if (value.factor !== undefined)
    checkNumber(
      value.factor,
      { integer: false, min: 1, max: 100 },
      `${path}.factor`,
      issues,
      jobId,
    );
  if (value.jitter !== undefined)
    checkNumber(value.jitter, { integer: false, min: 0, max: 1 }, `${path}.jitter`, issues, jobId);
  if (value.maxDelayMs !== undefined) {
    const initial =
      initialOk && typeof value.initialDelayMs === 'number' ? value.initialDelayMs : 1000;
    const rule = { integer: true, min: initialOk ? initial : 0, max: ONE_DAY_MS };
    checkNumber(value.maxDelayMs, rule, `${path}.maxDelayMs`, issues, jobId);
  }
}

function checkIntegration(value: unknown, issues: Issues): void {
  if (value === undefined) return;
  if (!isObject(value)) {
    issues.add(
      'INVALID_OPTION',
      'integration',
      `integration must be an object with an integrate function; got ${describeValue(value)}`,
    );
    return;
  }
  checkKeys(value, INTEGRATION_KEYS, 'integration', issues);
  for (const hook of ['integrate', 'check', 'rollback']) {
    const fn = value[hook];
    if ((hook === 'integrate' || fn !== undefined) && typeof fn !== 'function') {
      issues.add(
        'INVALID_OPTION',
        `integration.${hook}`,
        `integration.${hook} must be a function; got ${describeValue(fn)}`,
      );
    }
  }
  checkChoice(value.order, ['strict', 'completion'], 'integration.order', issues);
  if (value.checkTimeoutMs !== undefined) {
    checkNumber(
      value.checkTimeoutMs,
      { integer: true, min: 1, max: MAX_TIMER_MS },
      'integration.checkTimeoutMs',
      issues,
    );
  }
}

/** Checks one job on its own; returns its id when the id is valid. */
function checkJob(job: unknown, path: string, issues: Issues): string | undefined {
  if (!isObject(job)) {
    issues.add(
      'INVALID_JOB',
      path,
      `a job must be an object with at least id and run; got ${describeValue(job)}`,
    );
    return undefined;
  }
  const id = checkId(job.id, `${path}.id`, 'A job id', issues) ? job.id : undefined;
  const named = id ?? (typeof job.id === 'string' ? job.id : undefined);
  const label = named !== undefined ? `Job "${named}"` : 'A job';
  checkKeys(job, JOB_KEYS, path, issues, named);
  if (typeof job.run !== 'function') {
    issues.add(
      'INVALID_JOB',
      `${path}.run`,
      `${label} needs run, a function; got ${describeValue(job.run)}`,
      named,
    );
  }
  if (job.verify !== undefined && typeof job.verify !== 'function') {
    issues.add(
      'INVALID_JOB',
      `${path}.verify`,
      `${label}: verify must be a function; got ${describeValue(job.verify)}`,
      named,
    );
  }
  if (job.dependsOn !== undefined) {
    if (!Array.isArray(job.dependsOn)) {
      issues.add(
        'INVALID_JOB',
        `${path}.dependsOn`,
        `${label}: dependsOn must be an array of job ids; got ${describeValue(job.dependsOn)}`,
        named,
      );
    } else {
      const seen = new Set<unknown>();
      job.dependsOn.forEach((dep: unknown, i: number) => {
        if (typeof dep !== 'string') {
          issues.add(
            'INVALID_JOB',
            `${path}.dependsOn[${i}]`,
            `${label}: a dependency must be a job id; got ${describeValue(dep)}`,
            named,
          );
        } else if (seen.has(dep)) {
          issues.add(
            'INVALID_JOB',
            `${path}.dependsOn[${i}]`,
            `${label} lists dependency "${dep}" twice; remove one`,
            named,
          );
        }
        seen.add(dep);
      });
    }
  }
  if (job.timeoutMs !== undefined)
    checkNumber(
      job.timeoutMs,
      { integer: true, min: 1, max: MAX_TIMER_MS },
      `${path}.timeoutMs`,
      issues,
      named,
    );
  if (
    job.priority !== undefined &&
    !(typeof job.priority === 'number' && Number.isFinite(job.priority))
  ) {
    issues.add(
      'INVALID_OPTION',
      `${path}.priority`,
      `priority must be a finite number; got ${describeValue(job.priority)}`,
      named,
    );
  }
  checkRetry(job.retry, `${path}.retry`, issues, named);
  return id;
}

/** Reports each dependency that names no job, with the closest id as a suggestion. */
function checkDependenciesKnown(
  job: Record<string, unknown>,
  path: string,
  known: ReadonlySet<string>,
  issues: Issues,
) {
  if (!Array.isArray(job.dependsOn)) return;
  job.dependsOn.forEach((dep: unknown, i: number) => {
    if (typeof dep !== 'string' || known.has(dep)) return;
    const near = suggest(dep, known);
    const hint = near ? `; did you mean "${near}"?` : '; add that job or remove the dependency';
    issues.add(
      'UNKNOWN_DEPENDENCY',
      `${path}.dependsOn[${i}]`,
      `Job "${String(job.id)}" depends on unknown job "${dep}"${hint}`,
      String(job.id),
    );
  });
}

/** Every problem of a plan, found in one pass; an empty list means the plan is valid. */
export function findPlanIssues(spec: unknown): PlanIssue[] {
  const issues = new Issues();
  if (!isObject(spec)) {
    issues.add(
      'INVALID_PLAN',
      '',
      `a plan must be an object with id and jobs; got ${describeValue(spec)}`,
    );
    return issues.list;
  }
  checkKeys(spec, PLAN_KEYS, '', issues);
  checkId(spec.id, 'id', 'The plan id', issues);
  if (spec.name !== undefined && typeof spec.name !== 'string') {
    issues.add('INVALID_OPTION', 'name', `name must be a string; got ${describeValue(spec.name)}`);
  }
  checkChoice(spec.mode, ['autopilot', 'copilot', 'supervisor'], 'mode', issues);
  checkChoice(spec.onJobFailure, ['pause', 'fail', 'continue'], 'onJobFailure', issues);
  checkChoice(spec.onSkip, ['block', 'release'], 'onSkip', issues);
  if (spec.maxParallel !== undefined) {
    checkNumber(
      spec.maxParallel,
      { integer: true, min: 1, max: MAX_MAX_PARALLEL },
      'maxParallel',
      issues,
    );
  }
  checkRetry(spec.defaultRetry, 'defaultRetry', issues);
  checkIntegration(spec.integration, issues);
  if (spec.finalize !== undefined && typeof spec.finalize !== 'function') {
    issues.add(
      'INVALID_OPTION',
      'finalize',
      `finalize must be a function; got ${describeValue(spec.finalize)}`,
    );
  }
  if (!Array.isArray(spec.jobs)) {
    issues.add(
      'INVALID_PLAN',
      'jobs',
      `jobs must be an array of jobs; got ${describeValue(spec.jobs)}`,
    );
    return issues.list;
  }

  const jobs: unknown[] = spec.jobs;
  const indexOf = new Map<string, number>();
  jobs.forEach((job, i) => {
    const id = checkJob(job, `jobs[${i}]`, issues);
    if (id === undefined) return;
    const first = indexOf.get(id);
    if (first === undefined) indexOf.set(id, i);
    else
      issues.add(
        'DUPLICATE_ID',
        `jobs[${i}].id`,
        `Job id "${id}" is used by jobs[${first}] and jobs[${i}]; ids must be unique`,
        id,
      );
  });
  const known = new Set(indexOf.keys());
  jobs.forEach((job, i) => {
    if (isObject(job)) checkDependenciesKnown(job, `jobs[${i}]`, known, issues);
  });

  // Cycles, over the edges between known jobs.
  const order = [...indexOf.keys()];
  const position = new Map(order.map((id, i) => [id, i]));
  const edges = order.map((id) => {
    const deps = (jobs[indexOf.get(id)!] as { dependsOn?: unknown }).dependsOn;
    if (!Array.isArray(deps)) return [];
    return deps.flatMap((dep: unknown) =>
      typeof dep === 'string' && position.has(dep) ? [position.get(dep)!] : [],
    );
  });
  for (const cycle of findCycles(order.length, (i) => edges[i]!)) {
    const ids = cycle.map((i) => order[i]!);
    const head = ids[0]!;
    issues.add(
      'CYCLE',
      `jobs[${indexOf.get(head)}].dependsOn`,
      `cycle: ${ids.join(' → ')}; remove one of these dependencies`,
      head,
    );
  }
  return issues.list;
}

export type ValidationResult = { ok: true; plan: PlanSpec } | { ok: false; issues: PlanIssue[] };

/** Validates a plan without throwing. */
export function validatePlan(spec: unknown): ValidationResult {
  const issues = findPlanIssues(spec);
  return issues.length === 0 ? { ok: true, plan: spec as PlanSpec } : { ok: false, issues };
}

/** Every problem of a job to be added to a valid plan, checked exactly as a plan's job is. */
export function findAddedJobIssues(plan: PlanSpec, job: unknown): PlanIssue[] {
  const issues = new Issues();
  const id = checkJob(job, 'job', issues);
  const known = new Set(plan.jobs.map((j) => j.id));
  if (id !== undefined && known.has(id)) {
    issues.add(
      'DUPLICATE_ID',
      'job.id',
      `Job id "${id}" is already in plan "${plan.id}"; ids must be unique`,
      id,
    );
  }
  if (isObject(job) && Array.isArray(job.dependsOn)) {
    // Only a dependency on itself can close a cycle: nothing in the plan depends on a new job.
    if (id !== undefined && job.dependsOn.includes(id)) {
      issues.add(
        'CYCLE',
        'job.dependsOn',
        `cycle: ${id} → ${id}; a job cannot depend on itself`,
        id,
      );
      known.add(id);
    }
    checkDependenciesKnown(job, 'job', known, issues);
  }
  return issues.list;
}
