import type { PlanIssue, PlanIssueCode, PlanIssueKind } from '../shared/errors.js';
import {
  DEFAULT_INITIAL_DELAY_MS,
  fieldNames,
  INTEGRATION_FIELDS,
  JOB_FIELD_ALIASES,
  JOB_FIELDS,
  type NumberRule,
  PLAN_FIELDS,
  RETRY_FIELDS,
} from './fields.js';
import { findCycles } from './graph.js';
import { checkLimit } from './limits.js';
import { type Bounds, rangeMessage, withinBounds } from './range.js';
import { suggest } from './suggest.js';
import type { PlanSpec } from './types.js';

export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/;
export const ID_RULE = 'a letter or digit, then up to 79 letters, digits, ".", "_" or "-"';
const PLAN_KEYS = fieldNames(PLAN_FIELDS);
const JOB_KEYS = fieldNames(JOB_FIELDS);
const RETRY_KEYS = fieldNames(RETRY_FIELDS);
const INTEGRATION_KEYS = fieldNames(INTEGRATION_FIELDS);
/**
 * Suggesting a job id compares against every id, so a huge plan full of unknown dependencies
 * would make validation quadratic. Past this many comparisons, messages go without a suggestion.
 */
const SUGGESTION_BUDGET = 2_000_000;
const PREVIEW_CHARS = 40;
/** Ids shown at each end of a long cycle. */
const CYCLE_ENDS = 6;

const quote = (text: string): string =>
  text.length > PREVIEW_CHARS
    ? `${JSON.stringify(text.slice(0, PREVIEW_CHARS))}…`
    : JSON.stringify(text);

/** A short rendering of a value; nested containers are elided so hostile input stays cheap. */
function preview(value: unknown, nested: boolean): string {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'function':
      return value.name ? `[function ${value.name}]` : '[function]';
    case 'object':
      break;
    default:
      return String(value);
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    if (nested) return '[…]';
    const items = value.slice(0, 3).map((item: unknown) => preview(item, true));
    return `[${items.join(', ')}${value.length > 3 ? ', …' : ''}]`;
  }
  if (nested) return '{…}';
  const keys = Object.keys(value);
  const record = value as Record<string, unknown>;
  const entries = keys.slice(0, 3).map((key) => {
    const name = /^[A-Za-z_$][\w$]*$/.test(key) ? key : quote(key);
    return `${name}: ${preview(record[key], true)}`;
  });
  if (keys.length > 3) entries.push('…');
  return entries.length > 0 ? `{ ${entries.join(', ')} }` : '{}';
}

/**
 * A value as a message echoes it, followed by its type: `1.5 (number)`, `NaN (number)`,
 * `"4" (string)`, `[1, 2] (array)`, `{ a: 1 } (object)`; `null` and `undefined` speak for
 * themselves.
 */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  return `${preview(value, false)} (${Array.isArray(value) ? 'array' : typeof value})`;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const join = (prefix: string, field: string): string => {
  if (prefix === '') return field;
  return field === '' || field.startsWith('[') ? prefix + field : `${prefix}.${field}`;
};

/** Where issues land: `prefix` is the path of the job ('' for the plan), fields are relative. */
interface Scope {
  prefix: string;
  /** How messages about a job name it: `Job "build"`. */
  label: string;
  jobId?: string;
}

const PLAN_SCOPE: Scope = { prefix: '', label: 'The plan' };

class Issues {
  readonly list: PlanIssue[] = [];
  private budget = SUGGESTION_BUDGET;

  add(
    code: PlanIssueCode,
    kind: PlanIssueKind,
    scope: Scope,
    field: string,
    message: string,
    suggestion?: string,
  ): void {
    const issue: PlanIssue = { code, kind, path: join(scope.prefix, field), message };
    if (field !== '') issue.field = field.replace(/\[\d+\]$/, '');
    if (scope.jobId !== undefined) issue.jobId = scope.jobId;
    if (suggestion !== undefined) issue.suggestion = suggestion;
    this.list.push(issue);
  }

  suggestId(name: string, ids: ReadonlyMap<string, unknown>): string | undefined {
    if (this.budget < ids.size) return undefined;
    this.budget -= ids.size;
    return suggest(name, ids.keys());
  }
}

/** Runs the checks; input whose getters throw is reported rather than thrown. */
function collect(field: string, what: string, check: (issues: Issues) => void): PlanIssue[] {
  const issues = new Issues();
  try {
    check(issues);
  } catch (error) {
    const reason =
      error instanceof Error ? error.message : typeof error === 'string' ? error : 'not an Error';
    const code = field === '' ? 'INVALID_PLAN' : 'INVALID_JOB';
    const message = `${what} could not be read (${reason}); pass plain data`;
    issues.add(code, 'unreadable', PLAN_SCOPE, field, message);
  }
  return issues.list;
}

/** A field of an object that its rules do not know, with the closest known name if one is near. */
export interface UnknownField {
  key: string;
  suggestion?: string;
  message: string;
}

/**
 * The fields of `value` outside `allowed`, each with a message saying what to write instead: the
 * field `aliases` maps it to (a name another tool uses), or a known field spelled nearly alike.
 */
export function unknownFields(
  value: Record<string, unknown>,
  allowed: readonly string[],
  aliases: Readonly<Record<string, string>> = {},
): UnknownField[] {
  const found: UnknownField[] = [];
  for (const key of Object.keys(value)) {
    if (allowed.includes(key)) continue;
    const near = Object.hasOwn(aliases, key) ? aliases[key] : suggest(key, allowed);
    const hint = near ? `did you mean "${near}"?` : `known fields: ${allowed.join(', ')}`;
    const message = `unknown field ${quote(key)}; ${hint}`;
    found.push(near === undefined ? { key, message } : { key, suggestion: near, message });
  }
  return found;
}

function checkKeys(
  value: Record<string, unknown>,
  allowed: readonly string[],
  scope: Scope,
  field: string,
  issues: Issues,
  aliases?: Readonly<Record<string, string>>,
): void {
  for (const { key, suggestion, message } of unknownFields(value, allowed, aliases)) {
    issues.add('INVALID_OPTION', 'unknown_field', scope, join(field, key), message, suggestion);
  }
}

function checkId(value: unknown, scope: Scope, what: string, issues: Issues): value is string {
  if (typeof value === 'string' && ID_PATTERN.test(value)) return true;
  const message =
    value === undefined
      ? `${what} is missing: add an id, ${ID_RULE} (for example "build")`
      : `${what} must be ${ID_RULE}; got ${describeValue(value)}`;
  issues.add('INVALID_ID', 'invalid_id', scope, 'id', message);
  return false;
}

/** What is wrong with a value that is not what a field wants: absent, of another type, or off. */
const misfit = (value: unknown, wanted: 'number' | 'string' | 'function'): PlanIssueKind =>
  value === undefined ? 'missing' : typeof value === wanted ? 'out_of_range' : 'wrong_type';

/** The bounds of a numeric field rule. */
function boundsOf(rule: NumberRule): Bounds {
  return { integer: rule.type === 'integer', min: rule.min, max: rule.max };
}

interface Range extends Bounds {
  required?: boolean;
}

/** Checks a number (optional unless `required`); returns whether it is present and valid. */
function checkNumber(
  value: unknown,
  range: Range,
  scope: Scope,
  field: string,
  issues: Issues,
): boolean {
  if (value === undefined && !range.required) return false;
  const ok = withinBounds(value, range);
  if (!ok) {
    const message = rangeMessage(field, value, range, { show: describeValue });
    issues.add('INVALID_OPTION', misfit(value, 'number'), scope, field, message);
  }
  return ok;
}

function checkChoice(
  value: unknown,
  choices: readonly string[],
  scope: Scope,
  field: string,
  issues: Issues,
): void {
  if (value === undefined || (typeof value === 'string' && choices.includes(value))) return;
  const near = typeof value === 'string' ? suggest(value, choices) : undefined;
  const options = choices.map((c) => `"${c}"`).join(', ');
  const hint = near ? `; did you mean "${near}"?` : '';
  const message = `${field} must be one of ${options}; got ${describeValue(value)}${hint}`;
  const kind = typeof value === 'string' ? 'not_one_of' : 'wrong_type';
  issues.add('INVALID_OPTION', kind, scope, field, message, near);
}

function checkFunction(
  value: unknown,
  required: boolean,
  code: PlanIssueCode,
  scope: Scope,
  field: string,
  issues: Issues,
  subject = field,
): void {
  if (typeof value === 'function' || (!required && value === undefined)) return;
  const message = `${subject} must be a function; got ${describeValue(value)}`;
  issues.add(code, misfit(value, 'function'), scope, field, message);
}

function checkRetry(value: unknown, scope: Scope, field: string, issues: Issues): void {
  if (value === undefined) return;
  if (!isObject(value)) {
    const message = `${field} must be an object such as { maxAttempts: 3 }; got ${describeValue(value)}`;
    issues.add('INVALID_OPTION', 'wrong_type', scope, field, message);
    return;
  }
  const at = (key: string) => `${field}.${key}`;
  checkKeys(value, RETRY_KEYS, scope, field, issues);
  const { maxAttempts } = RETRY_FIELDS;
  const attempts = { ...boundsOf(maxAttempts), required: maxAttempts.required };
  checkNumber(value.maxAttempts, attempts, scope, at('maxAttempts'), issues);
  const delay = boundsOf(RETRY_FIELDS.initialDelayMs);
  const initialOk = checkNumber(value.initialDelayMs, delay, scope, at('initialDelayMs'), issues);
  checkNumber(value.factor, boundsOf(RETRY_FIELDS.factor), scope, at('factor'), issues);
  // Compared with initialDelayMs only when that is usable, so that one mistake gives one issue.
  const maxDelay = initialOk
    ? { ...delay, min: value.initialDelayMs as number, minNote: 'the initialDelayMs' }
    : value.initialDelayMs === undefined
      ? { ...delay, min: DEFAULT_INITIAL_DELAY_MS, minNote: 'the default initialDelayMs' }
      : delay;
  checkNumber(value.maxDelayMs, maxDelay, scope, at('maxDelayMs'), issues);
  checkNumber(value.jitter, boundsOf(RETRY_FIELDS.jitter), scope, at('jitter'), issues);
}

function checkIntegration(value: unknown, issues: Issues): void {
  if (value === undefined) return;
  if (!isObject(value)) {
    const message = `integration must be an object with an integrate function; got ${describeValue(value)}`;
    issues.add('INVALID_OPTION', 'wrong_type', PLAN_SCOPE, 'integration', message);
    return;
  }
  checkKeys(value, INTEGRATION_KEYS, PLAN_SCOPE, 'integration', issues);
  for (const hook of ['integrate', 'check', 'rollback'] as const) {
    const field = `integration.${hook}`;
    const { required = false } = INTEGRATION_FIELDS[hook] as { required?: boolean };
    checkFunction(value[hook], required, 'INVALID_OPTION', PLAN_SCOPE, field, issues);
  }
  const { order, checkTimeoutMs } = INTEGRATION_FIELDS;
  checkChoice(value.order, order.values, PLAN_SCOPE, 'integration.order', issues);
  const timeout = boundsOf(checkTimeoutMs);
  checkNumber(value.checkTimeoutMs, timeout, PLAN_SCOPE, 'integration.checkTimeoutMs', issues);
}

function checkPlanOptions(spec: Record<string, unknown>, issues: Issues): void {
  checkKeys(spec, PLAN_KEYS, PLAN_SCOPE, '', issues);
  checkId(spec.id, PLAN_SCOPE, 'The plan id', issues);
  if (spec.name !== undefined && typeof spec.name !== 'string') {
    const message = `name must be a string; got ${describeValue(spec.name)}`;
    issues.add('INVALID_OPTION', 'wrong_type', PLAN_SCOPE, 'name', message);
  }
  const { mode, maxParallel, onJobFailure, onSkip, onInterrupt } = PLAN_FIELDS;
  checkChoice(spec.mode, mode.values, PLAN_SCOPE, 'mode', issues);
  checkNumber(spec.maxParallel, boundsOf(maxParallel), PLAN_SCOPE, 'maxParallel', issues);
  checkChoice(spec.onJobFailure, onJobFailure.values, PLAN_SCOPE, 'onJobFailure', issues);
  checkChoice(spec.onSkip, onSkip.values, PLAN_SCOPE, 'onSkip', issues);
  checkChoice(spec.onInterrupt, onInterrupt.values, PLAN_SCOPE, 'onInterrupt', issues);
  checkRetry(spec.defaultRetry, PLAN_SCOPE, 'defaultRetry', issues);
  checkIntegration(spec.integration, issues);
  checkFunction(spec.finalize, false, 'INVALID_OPTION', PLAN_SCOPE, 'finalize', issues);
}

/** A job that is at least an object, with what its own checks learned about it. */
interface CheckedJob {
  scope: Scope;
  /** The id as written when it is a string, valid or not: what dependencies refer to. */
  name: string | undefined;
  /** The dependencies that are strings, each once, with their positions in `dependsOn`. */
  deps: Array<{ id: string; at: number }>;
}

/** Everything about one job that does not depend on the other jobs. */
function checkJob(job: unknown, prefix: string, issues: Issues): CheckedJob | undefined {
  if (!isObject(job)) {
    const message = `A job must be an object with at least an id and a run function; got ${describeValue(job)}`;
    issues.add('INVALID_JOB', 'wrong_type', { prefix, label: prefix }, '', message);
    return undefined;
  }
  const name = typeof job.id === 'string' ? job.id : undefined;
  const label = name === undefined ? `The job at ${prefix}` : `Job ${quote(name)}`;
  const valid = checkId(job.id, { prefix, label }, 'A job id', issues);
  const scope: Scope = valid ? { prefix, label, jobId: name } : { prefix, label };

  checkKeys(job, JOB_KEYS, scope, '', issues, JOB_FIELD_ALIASES);
  checkFunction(job.run, true, 'INVALID_JOB', scope, 'run', issues, `${label}: run`);
  checkFunction(job.verify, false, 'INVALID_JOB', scope, 'verify', issues, `${label}: verify`);
  const deps = checkDependsOn(job.dependsOn, scope, issues);
  checkNumber(job.timeoutMs, boundsOf(JOB_FIELDS.timeoutMs), scope, 'timeoutMs', issues);
  const { priority } = job;
  if (priority !== undefined && !(typeof priority === 'number' && Number.isFinite(priority))) {
    const message = `priority must be a finite number; got ${describeValue(priority)}`;
    issues.add('INVALID_OPTION', misfit(priority, 'number'), scope, 'priority', message);
  }
  checkRetry(job.retry, scope, 'retry', issues);
  checkChoice(job.onInterrupt, JOB_FIELDS.onInterrupt.values, scope, 'onInterrupt', issues);
  if (job.requiresApproval !== undefined && typeof job.requiresApproval !== 'boolean') {
    const message = `requiresApproval must be true or false; got ${describeValue(job.requiresApproval)}`;
    issues.add('INVALID_OPTION', 'wrong_type', scope, 'requiresApproval', message);
  }
  return { scope, name, deps };
}

function checkDependsOn(value: unknown, scope: Scope, issues: Issues): CheckedJob['deps'] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    const message = `${scope.label}: dependsOn must be an array of job ids; got ${describeValue(value)}`;
    issues.add('INVALID_JOB', 'wrong_type', scope, 'dependsOn', message);
    return [];
  }
  const deps: CheckedJob['deps'] = [];
  // Most jobs have a handful of dependencies: scanning them beats allocating a Set per job.
  const seen = value.length > 16 ? new Set<string>() : undefined;
  const listed = (id: string) => seen?.has(id) ?? deps.some((dep) => dep.id === id);
  for (let at = 0; at < value.length; at++) {
    const dep: unknown = value[at];
    if (typeof dep !== 'string') {
      const message = `${scope.label}: dependsOn[${at}] must be a job id (a string); got ${describeValue(dep)}`;
      issues.add('INVALID_JOB', 'wrong_type', scope, `dependsOn[${at}]`, message);
    } else if (listed(dep)) {
      const message = `${scope.label} lists dependency ${quote(dep)} twice; remove one`;
      issues.add('INVALID_JOB', 'duplicate_dependency', scope, `dependsOn[${at}]`, message);
    } else {
      seen?.add(dep);
      deps.push({ id: dep, at });
    }
  }
  return deps;
}

/**
 * Looks up each dependency among the declared ids (`known` maps an id to its graph node) and
 * reports those that name no job, with the closest id when one is near. Returns the nodes found.
 */
function resolveDependencies(
  job: CheckedJob,
  known: ReadonlyMap<string, number>,
  issues: Issues,
): number[] {
  const nodes: number[] = [];
  for (const dep of job.deps) {
    const node = known.get(dep.id);
    if (node !== undefined) {
      nodes.push(node);
      continue;
    }
    const near = issues.suggestId(dep.id, known);
    const hint = near ? `did you mean "${near}"?` : 'add that job or remove the dependency';
    const message = `${job.scope.label} depends on unknown job ${quote(dep.id)}; ${hint}`;
    const at = `dependsOn[${dep.at}]`;
    issues.add('UNKNOWN_DEPENDENCY', 'unknown_dependency', job.scope, at, message, near);
  }
  return nodes;
}

/** A cycle as a message; a very long one shows its two ends, which is enough to find it. */
function cycleMessage(ids: readonly string[]): string {
  if (ids.length === 2) {
    return `cycle: ${ids[0]} → ${ids[1]}; a job cannot depend on itself, remove it from its dependsOn`;
  }
  const hidden = ids.length - 2 * CYCLE_ENDS;
  const shown =
    hidden <= 1
      ? ids
      : [...ids.slice(0, CYCLE_ENDS), `(${hidden} more)`, ...ids.slice(-CYCLE_ENDS)];
  return `cycle: ${shown.join(' → ')}; remove one of these dependencies`;
}

/** Every problem of a plan, all found in one pass; an empty list means the plan is valid. */
export function findPlanIssues(spec: unknown): PlanIssue[] {
  return collect('', 'The plan', (issues) => {
    if (!isObject(spec)) {
      const message = `A plan must be an object with an id and a jobs array; got ${describeValue(spec)}`;
      issues.add('INVALID_PLAN', 'wrong_type', PLAN_SCOPE, '', message);
      return;
    }
    checkPlanOptions(spec, issues);
    if (!Array.isArray(spec.jobs)) {
      const message = `jobs must be an array of jobs (it may be empty); got ${describeValue(spec.jobs)}`;
      const kind = spec.jobs === undefined ? 'missing' : 'wrong_type';
      issues.add('INVALID_PLAN', kind, PLAN_SCOPE, 'jobs', message);
      return;
    }
    const jobs: unknown[] = spec.jobs;
    // Checked first, and alone when over, so that a plan too large to check is refused quickly.
    const size = sizeIssues(jobs);
    for (const issue of size) {
      issues.add('PLAN_TOO_LARGE', 'too_large', PLAN_SCOPE, 'jobs', issue.message);
    }
    if (size.length > 0) return;

    // Graph nodes are the first job of each id; a later one with the same id is a duplicate.
    const nodes: CheckedJob[] = [];
    const nodeOf = new Map<string, number>();
    const checked: CheckedJob[] = [];
    for (let i = 0; i < jobs.length; i++) {
      const job = checkJob(jobs[i], `jobs[${i}]`, issues);
      if (job === undefined) continue;
      checked.push(job);
      if (job.name === undefined) continue;
      const first = nodeOf.get(job.name);
      if (first === undefined) {
        nodeOf.set(job.name, nodes.length);
        nodes.push(job);
      } else if (job.scope.jobId !== undefined) {
        const where = `${nodes[first]!.scope.prefix} and jobs[${i}]`;
        const message = `Job id ${quote(job.name)} is used by ${where}; rename one, ids must be unique`;
        issues.add('DUPLICATE_ID', 'duplicate_id', job.scope, 'id', message);
      }
    }

    // A job with a bad id still counts as declared, so that one mistake yields one issue.
    const edges: number[][] = nodes.map(() => []);
    for (const job of checked) {
      const targets = resolveDependencies(job, nodeOf, issues);
      const node = job.name === undefined ? undefined : nodeOf.get(job.name);
      if (node !== undefined && nodes[node] === job) edges[node] = targets;
    }
    const ids = nodes.map((job) => job.name!);
    for (const cycle of findCycles(ids, (node) => edges[node]!)) {
      const head = nodes[nodeOf.get(cycle[0]!)!]!;
      const edge = head.deps.find((dep) => dep.id === cycle[1])!;
      issues.add('CYCLE', 'cycle', head.scope, `dependsOn[${edge.at}]`, cycleMessage(cycle));
    }
  });
}

/** The size of a plan against its limits: errors or warnings, in one list. */
function planSize(jobs: readonly unknown[]): Array<{ over: boolean; message: string }> {
  const found = [];
  const fix = 'split the plan into plans that run one after another';
  const jobCount = checkLimit('jobs', jobs.length, 'the number of jobs', fix);
  if (jobCount) found.push(jobCount);
  let edges = 0;
  for (const job of jobs) {
    const deps = isObject(job) ? job.dependsOn : undefined;
    if (Array.isArray(deps)) edges += deps.length;
  }
  const edgeCount = checkLimit('edges', edges, 'the number of dependsOn entries', fix);
  if (edgeCount) found.push(edgeCount);
  return found;
}

const sizeIssues = (jobs: readonly unknown[]) => planSize(jobs).filter((found) => found.over);

/**
 * What is close to a size limit in a plan (`PLAN_NEAR_LIMIT`): nothing to fix yet, but worth
 * knowing before the plan grows past it.
 */
export function findPlanWarnings(spec: unknown): PlanIssue[] {
  try {
    const jobs = isObject(spec) && Array.isArray(spec.jobs) ? spec.jobs : [];
    return planSize(jobs)
      .filter((found) => !found.over)
      .map((found) => ({
        code: 'PLAN_NEAR_LIMIT',
        kind: 'near_limit',
        path: 'jobs',
        field: 'jobs',
        message: found.message,
      }));
  } catch {
    // Input whose getters throw has no size to warn about; findPlanIssues reports it.
    return [];
  }
}

/** What `validatePlan` finds: the plan, or every issue; and the warnings either way. */
export type ValidationResult =
  | { ok: true; plan: PlanSpec; warnings: PlanIssue[] }
  | { ok: false; issues: PlanIssue[]; warnings: PlanIssue[] };

/** Validates a plan without throwing; `warnings` says what is close to a size limit. */
export function validatePlan(spec: unknown): ValidationResult {
  const issues = findPlanIssues(spec);
  const warnings = findPlanWarnings(spec);
  return issues.length === 0
    ? { ok: true, plan: spec as PlanSpec, warnings }
    : { ok: false, issues, warnings };
}

/**
 * Every problem of a job to be added to a valid plan, checked exactly as a job of the plan is,
 * with paths under `job`. Nothing in the plan can depend on a job not yet added, so the only
 * cycle it can close is a dependency on itself.
 */
export function findAddedJobIssues(plan: PlanSpec, job: unknown): PlanIssue[] {
  return collect('job', 'The job', (issues) => {
    const added = checkJob(job, 'job', issues);
    if (added === undefined) return;
    const existing = new Map(plan.jobs.map((j, i) => [j.id, i]));
    const self = added.scope.jobId;
    if (self !== undefined && existing.has(self)) {
      const message = `Job id ${quote(self)} is already used in plan ${quote(plan.id)}; choose another id`;
      issues.add('DUPLICATE_ID', 'duplicate_id', added.scope, 'id', message);
    }
    const loop = added.deps.find((dep) => dep.id === added.name);
    if (loop !== undefined) {
      const at = `dependsOn[${loop.at}]`;
      issues.add('CYCLE', 'cycle', added.scope, at, cycleMessage([loop.id, loop.id]));
    }
    // The dependency on itself is reported as the cycle it is, not as an unknown job.
    const others = { ...added, deps: added.deps.filter((dep) => dep !== loop) };
    resolveDependencies(others, existing, issues);
  });
}
