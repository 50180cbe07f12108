import { describeValue, unknownFields } from '../plan/validate.js';
import type { PlanIssueKind } from '../shared/errors.js';
import { DEFAULTS_FIELDS, REUSE_PREFIX } from './run-fields.js';

/**
 * What a plan file writes once and reuses: `x-` fields (a place for YAML anchors, ignored) and
 * `defaults:` for every job. YAML merge keys (`<<: *anchor`) are the parser's, before this.
 */

export interface ReuseIssue {
  path: string;
  kind: PlanIssueKind;
  message: string;
}

export interface Reused {
  /** The plan without its `x-` fields and `defaults`, each job given the defaults it lacks. */
  raw: Record<string, unknown> | null;
  issues: ReuseIssue[];
  /**
   * A job's path that holds a value of `defaults` (`jobs[0].timeoutMs`, `jobs[0].run.env.CI`), with
   * the path of `defaults` it came from: a problem of the value is reported there.
   */
  inherited: Map<string, string>;
}

type Rec = Record<string, unknown>;
const isRecord = (value: unknown): value is Rec =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const withoutReuseFields = (value: Rec): Rec =>
  Object.fromEntries(Object.entries(value).filter(([key]) => !key.startsWith(REUSE_PREFIX)));
const keyPath = (name: string) =>
  /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;

export function applyReuse(value: unknown): Reused {
  const issues: ReuseIssue[] = [];
  const inherited = new Map<string, string>();
  if (!isRecord(value)) return { raw: value as null, issues, inherited };
  const { defaults, ...plan } = withoutReuseFields(value);
  if (defaults !== undefined && !isRecord(defaults)) {
    issues.push({
      path: 'defaults',
      kind: 'wrong_type',
      message: `defaults must be an object with ${Object.keys(DEFAULTS_FIELDS).join(', ')}; got ${describeValue(defaults)}`,
    });
  }
  const given = isRecord(defaults) ? defaults : {};
  for (const { key, message } of unknownFields(given, Object.keys(DEFAULTS_FIELDS))) {
    issues.push({ path: `defaults.${key}`, kind: 'unknown_field', message });
  }
  if (!Array.isArray(plan.jobs)) return { raw: plan, issues, inherited };
  const jobs = plan.jobs.map((job, i) => {
    if (!isRecord(job)) return job;
    const own = withoutReuseFields(job);
    const at = `jobs[${i}]`;
    for (const field of ['retry', 'timeoutMs'] as const) {
      if (given[field] === undefined || own[field] !== undefined) continue;
      own[field] = given[field];
      inherited.set(`${at}.${field}`, `defaults.${field}`);
    }
    for (const command of ['run', 'verify'] as const) {
      const run = own[command];
      if (isRecord(run)) own[command] = withDefaults(run, given, `${at}.${command}`, inherited);
    }
    return own;
  });
  return { raw: { ...plan, jobs }, issues, inherited };
}

/** A job's command with the `cwd` and `env` of `defaults` it does not set itself. */
function withDefaults(run: Rec, given: Rec, at: string, inherited: Map<string, string>): Rec {
  const out = { ...run };
  if (given.cwd !== undefined && run.cwd === undefined) {
    out.cwd = given.cwd;
    inherited.set(`${at}.cwd`, 'defaults.cwd');
  }
  if (given.env === undefined) return out;
  if (!isRecord(given.env) || (run.env !== undefined && !isRecord(run.env))) {
    // Not a map: reported as it is, at defaults, rather than merged.
    if (run.env === undefined) {
      out.env = given.env;
      inherited.set(`${at}.env`, 'defaults.env');
    }
    return out;
  }
  const own = (run.env ?? {}) as Rec;
  for (const name of Object.keys(given.env)) {
    if (!Object.hasOwn(own, name))
      inherited.set(`${at}.env${keyPath(name)}`, `defaults.env${keyPath(name)}`);
  }
  out.env = { ...given.env, ...own };
  return out;
}

/** The path a problem is reported at: in `defaults` when the value came from there. */
export function sourcePath(path: string, inherited: ReadonlyMap<string, string>): string {
  // Each prefix of the path that ends before a `.` or `[`, and the path itself.
  for (let end = 0; end <= path.length; end++) {
    if (end < path.length && path[end] !== '.' && path[end] !== '[') continue;
    const from = inherited.get(path.slice(0, end));
    if (from !== undefined) return from + path.slice(end);
  }
  return path;
}
