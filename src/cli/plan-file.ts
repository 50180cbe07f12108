import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { isMap, isScalar, LineCounter, type Node, parseDocument } from 'yaml';
import { suggest } from '../plan/suggest.js';
import type { PlanSpec } from '../plan/types.js';
import { describeValue, findPlanIssues } from '../plan/validate.js';
import { type EnvIssue, envValueProblem, type FileRun, PlanEnv } from './secret-env.js';
import { KILL_GRACE_MS, shellJob, shellVerify } from './shell-job.js';

/** One problem of a plan file, where it is. */
export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  code: string;
  message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col} error ${d.code} ${d.message}`;
}

export interface LoadOptions {
  /** Let a job's `cwd` point outside the plan file's folder. Default false. */
  allowOutsideCwd?: boolean;
  /**
   * Where `{ fromEnv: NAME }` env values are read from. Default `process.env`; `null` checks their
   * form only, for commands that run nothing (`validate`, `graph`).
   */
  environment?: NodeJS.ProcessEnv | null;
}

export type LoadedPlan =
  | { ok: true; plan: PlanSpec; source: string }
  | { ok: false; diagnostics: Diagnostic[] };

const RUN_KEYS = ['command', 'args', 'cwd', 'env', 'shell'];

/**
 * Reads a YAML or JSON plan file (JSON is YAML too, so one parser gives positions for both). Every
 * problem is reported at once, with its line and column: syntax, duplicate keys, unknown tags,
 * the `run` of each job, and everything `validatePlan` checks.
 */
export async function loadPlanFile(file: string, options: LoadOptions = {}): Promise<LoadedPlan> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (error) {
    const reason =
      (error as { code?: string }).code === 'ENOENT' ? 'the file does not exist' : String(error);
    return {
      ok: false,
      diagnostics: [{ file, line: 1, col: 1, code: 'PLAN_UNREADABLE', message: reason }],
    };
  }
  return parsePlanText(source, file, dirname(resolve(file)), options);
}

/** Parses a plan file's text; `planDir` is where relative `cwd`s start. */
export function parsePlanText(
  source: string,
  file: string,
  planDir: string,
  options: LoadOptions = {},
): LoadedPlan {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const at = (offset: number | undefined) => {
    const { line, col } = lineCounter.linePos(offset ?? 0);
    return { file, line, col };
  };
  const diagnostics: Diagnostic[] = [...doc.errors, ...doc.warnings].map((problem) => ({
    ...at(problem.pos[0]),
    code: `YAML_${problem.code}`,
    message: problem.message.split('\n')[0]!,
  }));
  if (diagnostics.length > 0) return { ok: false, diagnostics };

  /**
   * The position of the value at a validation path such as `jobs[2].dependsOn[0]`, or of the key
   * itself for a field that should not be there.
   */
  const positionOf = (path: string, atKey: boolean) => {
    const segments = path.match(/[^.[\]]+/g)?.map((s) => (/^\d+$/.test(s) ? Number(s) : s)) ?? [];
    if (atKey) {
      const parent = doc.getIn(segments.slice(0, -1), true);
      const pair = isMap(parent)
        ? parent.items.find((item) => isScalar(item.key) && item.key.value === segments.at(-1))
        : undefined;
      if (isScalar(pair?.key) && pair.key.range) return at(pair.key.range[0]);
    }
    for (let n = segments.length; n >= 0; n--) {
      const node = doc.getIn(segments.slice(0, n), true) as Node | undefined;
      if (node?.range) return at(node.range[0]);
    }
    return at(0);
  };

  const raw = doc.toJS() as Record<string, unknown> | null;
  const runIssues: Array<{ path: string; message: string }> = [];
  const envIssues: EnvIssue[] = [];
  const planEnv = new PlanEnv(
    options.environment === undefined ? process.env : options.environment,
  );
  const jobs = Array.isArray(raw?.jobs) ? raw.jobs : [];
  const specJobs = jobs.map((job: unknown, i: number) => {
    const record = (job && typeof job === 'object' ? job : {}) as Record<string, unknown>;
    const jobId = typeof record.id === 'string' ? record.id : `#${i + 1}`;
    const checked = (field: 'run' | 'verify') =>
      planEnv.resolve(
        checkRun(record[field], `jobs[${i}].${field}`, planDir, options, runIssues),
        `jobs[${i}].${field}`,
        jobId,
        envIssues,
      );
    const run = checked('run');
    const verify = record.verify === undefined ? null : checked('verify');
    const cwdOf = (shell: { cwd?: string }) => resolve(planDir, shell.cwd ?? '.');
    return {
      ...record,
      run: run ? shellJob(run, cwdOf(run), KILL_GRACE_MS, planEnv.redact) : undefined,
      ...(verify ? { verify: shellVerify(verify, cwdOf(verify), planEnv.redact) } : {}),
    };
  });
  const candidate = { ...(raw ?? {}), jobs: Array.isArray(raw?.jobs) ? specJobs : raw?.jobs };
  const issues = [
    ...runIssues.map((i) => ({ ...i, code: 'INVALID_RUN' })),
    ...envIssues,
    ...findPlanIssues(candidate).filter(
      (i) => !(i.code === 'INVALID_JOB' && i.path.endsWith('.run')),
    ),
  ];
  if (issues.length > 0) {
    return {
      ok: false,
      diagnostics: issues.map((i) => ({
        ...positionOf(i.path, i.message.startsWith('unknown field')),
        code: i.code,
        message: i.message,
      })),
    };
  }
  return { ok: true, plan: candidate as unknown as PlanSpec, source };
}

function checkRun(
  value: unknown,
  path: string,
  planDir: string,
  options: LoadOptions,
  issues: Array<{ path: string; message: string }>,
): FileRun | null {
  const problem = (at: string, message: string) => {
    issues.push({ path: at, message });
    return null;
  };
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return problem(
      path,
      `run must be an object such as { command: "make", args: ["test"] }; got ${describeValue(value)}`,
    );
  }
  const run = value as Record<string, unknown>;
  const before = issues.length;
  for (const key of Object.keys(run)) {
    if (RUN_KEYS.includes(key)) continue;
    const near = suggest(key, RUN_KEYS);
    problem(
      `${path}.${key}`,
      `unknown field "${key}"${near ? `; did you mean "${near}"?` : `; known fields: ${RUN_KEYS.join(', ')}`}`,
    );
  }
  if (typeof run.command !== 'string' || run.command === '') {
    problem(
      `${path}.command`,
      `command must be a non-empty string; got ${describeValue(run.command)}`,
    );
  }
  if (
    run.args !== undefined &&
    (!Array.isArray(run.args) || run.args.some((a) => typeof a !== 'string'))
  ) {
    problem(`${path}.args`, `args must be a list of strings; got ${describeValue(run.args)}`);
  }
  if (run.shell !== undefined && typeof run.shell !== 'boolean') {
    problem(`${path}.shell`, `shell must be true or false; got ${describeValue(run.shell)}`);
  }
  if (run.shell === true && run.args !== undefined) {
    problem(
      `${path}.args`,
      'args cannot be used with shell: true (the command is a shell string then); put everything in command, or drop shell',
    );
  }
  if (run.env !== undefined) {
    const env = run.env as Record<string, unknown>;
    if (!env || typeof env !== 'object' || Array.isArray(env)) {
      problem(`${path}.env`, `env must map names to strings; got ${describeValue(run.env)}`);
    } else {
      for (const [name, value] of Object.entries(env)) {
        const wrong = envValueProblem(name, value);
        if (wrong) problem(`${path}.env.${name}`, wrong);
      }
    }
  }
  if (run.cwd !== undefined) {
    if (typeof run.cwd !== 'string') {
      problem(`${path}.cwd`, `cwd must be a string; got ${describeValue(run.cwd)}`);
    } else if (!options.allowOutsideCwd) {
      const inside = relative(planDir, resolve(planDir, run.cwd));
      if (inside.startsWith('..') || isAbsolute(inside)) {
        problem(
          `${path}.cwd`,
          `cwd "${run.cwd}" is outside the plan's folder; pass --allow-outside-cwd to allow it`,
        );
      }
    }
  }
  return issues.length === before ? (run as unknown as FileRun) : null;
}
