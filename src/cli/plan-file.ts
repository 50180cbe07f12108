import { realpathSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { type Alias, isMap, isScalar, LineCounter, type Node, parseDocument, visit } from 'yaml';
import { checkLimit, warnsAt } from '../plan/limits.js';
import type { PlanSpec } from '../plan/types.js';
import {
  describeValue,
  findPlanIssues,
  findPlanWarnings,
  unknownFields,
} from '../plan/validate.js';
import type { PlanIssueKind } from '../shared/errors.js';
import { hasExpression } from './expressions.js';
import type { AttemptLogs } from './job-logs.js';
import {
  type CommandReader,
  finalizeFromFile,
  integrationFromFile,
  jobCommand,
  verifyCommand,
} from './plan-file-integration.js';
import { applyReuse, sourcePath } from './plan-file-reuse.js';
import { RUN_FIELD_ALIASES, RUN_FIELDS } from './run-fields.js';
import { type EnvIssue, envValueProblem, type FileRun, PlanEnv } from './secret-env.js';
import { folderProblem, type ShellRun } from './shell-job.js';

/** One problem of a plan file, where it is. */
export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  code: string;
  message: string;
  /** Default `error`; a warning (close to a size limit) does not stop the plan. */
  severity?: 'error' | 'warning';
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col} ${d.severity ?? 'error'} ${d.code} ${d.message}`;
}

export interface LoadOptions {
  /** Let a job's `cwd` point outside the plan file's folder. Default false. */
  allowOutsideCwd?: boolean;
  /**
   * Where `{ fromEnv: NAME }` env values are read from. Default `process.env`; `null` checks their
   * form only, for commands that run nothing (`validate`, `graph`).
   */
  environment?: NodeJS.ProcessEnv | null;
  /**
   * Refuse a job whose `cwd` names no folder. Default true; `graph`, which runs nothing, turns it
   * off.
   */
  checkFolders?: boolean;
  /**
   * Where each attempt of a job keeps its output lines (`run --state-dir`).
   *
   * @default nowhere
   */
  logs?: AttemptLogs;
}

export type LoadedPlan =
  /** `warnings`: what is close to a size limit (see `PLAN_LIMITS`). */
  | {
      ok: true;
      plan: PlanSpec;
      source: string;
      warnings: Diagnostic[];
      /** Each job's `run` as the file writes it (defaults applied, expressions unreplaced). */
      jobRuns: ReadonlyMap<string, FileRun>;
    }
  | { ok: false; diagnostics: Diagnostic[] };

const RUN_KEYS = Object.keys(RUN_FIELDS);
/** A problem of a job's `run` or `verify`; the code is `INVALID_RUN` unless given. */
type RunIssue = { path: string; kind: PlanIssueKind; message: string; code?: string };
/** Issues about a key itself, rather than its value: they point at the key. */
const ABOUT_KEYS: ReadonlySet<PlanIssueKind> = new Set(['unknown_field', 'invalid_name']);
/** Uses of YAML aliases in one file, nested ones multiplied (the `yaml` package's measure). */
export const MAX_ALIAS_COUNT = 100;

/**
 * Reads a YAML or JSON plan file (JSON is YAML too, so one parser gives positions for both). Every
 * problem is reported at once, with its line and column: syntax, duplicate keys, unknown tags,
 * the `run` of each job, and everything `validatePlan` checks.
 */
export async function loadPlanFile(file: string, options: LoadOptions = {}): Promise<LoadedPlan> {
  const refuse = (code: string, message: string): LoadedPlan => ({
    ok: false,
    diagnostics: [{ file, line: 1, col: 1, code, message }],
  });
  let source: string;
  let size: number;
  let handle: FileHandle | undefined;
  try {
    handle = await open(file, 'r');
    const stats = await handle.stat();
    if (!stats.isFile()) return refuse('PLAN_UNREADABLE', 'not a regular file');
    size = stats.size;
    // The size decides before anything is read: a huge file is refused at once.
    const found = checkLimit('fileBytes', size, 'the file', FILE_FIX);
    if (found?.over) return refuse('PLAN_TOO_LARGE', found.message);
    source = await handle.readFile('utf8');
  } catch (error) {
    const reason =
      (error as { code?: string }).code === 'ENOENT' ? 'the file does not exist' : String(error);
    return refuse('PLAN_UNREADABLE', reason);
  } finally {
    await handle?.close();
  }
  const loaded = parsePlanText(source, file, dirname(resolve(file)), options);
  const near = checkLimit('fileBytes', size, 'the file', FILE_FIX);
  if (loaded.ok && near) {
    loaded.warnings.unshift({ file, line: 1, col: 1, ...warning(near.message) });
  }
  return loaded;
}

const FILE_FIX = 'split the plan into plans that run one after another';

const warning = (message: string) => ({
  code: 'PLAN_NEAR_LIMIT',
  message,
  severity: 'warning' as const,
});

/** Parses a plan file's text; `planDir` is where relative `cwd`s start. */
export function parsePlanText(
  source: string,
  file: string,
  planDir: string,
  options: LoadOptions = {},
): LoadedPlan {
  const tooLarge = checkLimit('fileBytes', Buffer.byteLength(source), 'the plan text', FILE_FIX);
  if (tooLarge?.over) {
    return {
      ok: false,
      diagnostics: [{ file, line: 1, col: 1, code: 'PLAN_TOO_LARGE', message: tooLarge.message }],
    };
  }
  const lineCounter = new LineCounter();
  // `<<: *anchor` merges the anchor's fields in (YAML 1.1's merge key, which 1.2 left out).
  const doc = parseDocument(source, {
    lineCounter,
    uniqueKeys: true,
    prettyErrors: false,
    merge: true,
  });
  const at = (offset: number | undefined) => {
    const { line, col } = lineCounter.linePos(offset ?? 0);
    return { file, line, col };
  };
  const diagnostics: Diagnostic[] = [...doc.errors, ...doc.warnings].map((problem) => ({
    ...at(problem.pos[0]),
    code: `YAML_${problem.code}`,
    message: problem.message.split('\n')[0]!,
  }));
  const notJson = /\.json$/i.test(file) ? jsonSyntaxProblem(source) : null;
  if (notJson) {
    const { offset, message } = notJson;
    return { ok: false, diagnostics: [{ ...at(offset), code: 'JSON_SYNTAX', message }] };
  }
  if (diagnostics.length > 0) return { ok: false, diagnostics: byPosition(diagnostics) };

  /**
   * The position of the value at a validation path such as `jobs[2].dependsOn[0]`, or of the key
   * itself for a field that should not be there.
   */
  const positionOf = (path: string, atKey: boolean) => {
    // Segments: `name`, `[2]`, or `["a.b"]` for a key that is not a plain name.
    const segments =
      path
        .match(/\["(?:[^"\\]|\\.)*"\]|[^.[\]]+/g)
        ?.map((s) =>
          s.startsWith('["') ? JSON.parse(s.slice(1, -1)) : /^\d+$/.test(s) ? Number(s) : s,
        ) ?? [];
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

  const expanded = expandAliases(doc);
  if (!expanded.ok) {
    return {
      ok: false,
      diagnostics: [
        { ...at(expanded.offset), code: 'YAML_ALIAS_COUNT', message: expanded.message },
      ],
    };
  }
  const reused = applyReuse(expanded.value);
  const raw = reused.raw;
  const runIssues: RunIssue[] = [];
  const runWarnings: RunIssue[] = [];
  const envIssues: EnvIssue[] = [];
  const planEnv = new PlanEnv(
    options.environment === undefined ? process.env : options.environment,
  );
  const jobs = Array.isArray(raw?.jobs) ? raw.jobs : [];
  const jobIds = jobs.flatMap((job: unknown) => {
    const id = (job as { id?: unknown } | null)?.id;
    return typeof id === 'string' ? [id] : [];
  });
  const reader: CommandReader = {
    planId: typeof raw?.id === 'string' ? raw.id : '',
    planDir,
    jobIds,
    redact: planEnv.redact,
    logs: options.logs,
    check(value, path, label) {
      const written = checkRun(value, path, label, planDir, options, runIssues);
      const run = planEnv.resolve(written, path, label, envIssues);
      if (run) commandLineSize(run, path, runIssues, runWarnings);
      return written && run ? { written, run } : null;
    },
    insideAllowed: (target) => options.allowOutsideCwd === true || isInside(planDir, target),
    issues: [],
  };
  const specJobs = jobs.map((job: unknown, i: number) => {
    const record = (job && typeof job === 'object' ? job : {}) as Record<string, unknown>;
    const jobId = typeof record.id === 'string' ? record.id : `#${i + 1}`;
    const run = reader.check(record.run, `jobs[${i}].run`, jobId);
    const verify =
      record.verify === undefined ? null : reader.check(record.verify, `jobs[${i}].verify`, jobId);
    const dependsOn = Array.isArray(record.dependsOn)
      ? record.dependsOn.filter((dep): dep is string => typeof dep === 'string')
      : [];
    const scope = { kind: 'job' as const, jobId, dependsOn, jobIds };
    return {
      ...record,
      run: run ? jobCommand(run, `jobs[${i}].run`, scope, reader) : undefined,
      ...(verify ? { verify: verifyCommand(verify, `jobs[${i}].verify`, reader) } : {}),
    };
  });
  // A file whose top level is a string or a list is not spread into fields ("0", "1", …): the
  // validator says once what a plan must be.
  const notAMapping =
    raw !== null && raw !== undefined && (typeof raw !== 'object' || Array.isArray(raw));
  const candidate = notAMapping
    ? raw
    : {
        ...(raw ?? {}),
        ...(raw?.integration !== undefined
          ? { integration: integrationFromFile(raw.integration, reader) }
          : {}),
        ...(raw?.finalize !== undefined
          ? { finalize: finalizeFromFile(raw.finalize, reader) }
          : {}),
        jobs: Array.isArray(raw?.jobs) ? specJobs : raw?.jobs,
      };
  const issues = [
    ...reused.issues.map((i) => ({ ...i, code: 'INVALID_OPTION' })),
    ...runIssues.map((i) => ({ ...i, code: i.code ?? 'INVALID_RUN' })),
    ...envIssues,
    // A job's run and verify here are commands checkRun reported on; the validator would only
    // say again that they are not functions.
    ...reader.issues,
    ...findPlanIssues(candidate).filter(
      (i) => !(i.code === 'INVALID_JOB' && (i.field === 'run' || i.field === 'verify')),
    ),
  ];
  const warnings = [...findPlanWarnings(candidate), ...runWarnings].map((w) => ({
    ...positionOf(w.path, false),
    ...warning(w.message),
  }));
  if (issues.length > 0) {
    // A value of `defaults` is reported once, where it is written, not once per job.
    const seen = new Set<string>();
    const located = issues.flatMap((i) => {
      const path = sourcePath(i.path, reused.inherited);
      const found = {
        // Messages about a key itself point at the key.
        ...positionOf(path, ABOUT_KEYS.has(i.kind)),
        code: i.code,
        message: i.message,
      };
      const key = formatDiagnostic(found);
      if (seen.has(key)) return [];
      seen.add(key);
      return [found];
    });
    return { ok: false, diagnostics: byPosition([...located, ...warnings]) };
  }
  const jobRuns = new Map(
    (jobs as Array<{ id: string; run: FileRun }>).map((job) => [job.id, job.run] as const),
  );
  return {
    ok: true,
    plan: candidate as unknown as PlanSpec,
    source,
    warnings: byPosition(warnings),
    jobRuns,
  };
}

/** Diagnostics in the order of the file, those at one place in the order they were found. */
const byPosition = (diagnostics: Diagnostic[]): Diagnostic[] =>
  diagnostics.sort((a, b) => a.line - b.line || a.col - b.col);

/**
 * Why a `.json` plan is not JSON, and where; null when it is. The YAML parser that gives every
 * other diagnostic its position reads JSON too, but accepts what JSON does not (trailing commas,
 * comments): a file that says it is JSON is held to JSON, as every other JSON reader would.
 */
function jsonSyntaxProblem(source: string): { offset: number; message: string } | null {
  const text = source.replace(/^\uFEFF/, '');
  const skipped = source.length - text.length;
  try {
    JSON.parse(text);
    return null;
  } catch (error) {
    const comma = trailingComma(text);
    if (comma !== undefined) {
      return {
        offset: comma + skipped,
        message:
          'trailing comma: JSON allows none after the last item of an object or list; remove it',
      };
    }
    const reason = error instanceof Error ? error.message : String(error);
    const position = /at position (\d+)/.exec(reason)?.[1];
    return {
      offset: position === undefined ? 0 : Number(position) + skipped,
      message: `not valid JSON (${reason.replace(/ in JSON at position \d+.*$/s, '')}); fix it, or write the plan as YAML`,
    };
  }
}

/** The offset of the first comma, outside strings, that only white space separates from a `}` or `]`. */
function trailingComma(text: string): number | undefined {
  let comma: number | undefined;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (inString) {
      if (char === '\\') i++;
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
      comma = undefined;
    } else if (char === ',') {
      comma = i;
    } else if ((char === '}' || char === ']') && comma !== undefined) {
      return comma;
    } else if (!/\s/.test(char)) {
      comma = undefined;
    }
  }
  return undefined;
}

/**
 * A YAML alias (`*name`) repeats what its anchor holds; aliases of anchors that hold aliases
 * multiply, so a few lines can expand to billions of nodes (an "alias bomb"). The `yaml` package
 * stops past `MAX_ALIAS_COUNT` expansions with a bare ReferenceError; this says where.
 */
function expandAliases(
  doc: ReturnType<typeof parseDocument>,
): { ok: true; value: unknown } | { ok: false; offset: number | undefined; message: string } {
  // The package does not say which alias went over; each alias notes it on its way out.
  let tripped: Alias | undefined;
  visit(doc, {
    Alias(_key, node) {
      const resolve = node.resolve;
      node.resolve = function (...args) {
        try {
          return resolve.apply(this, args);
        } catch (error) {
          tripped ??= this;
          throw error;
        }
      };
    },
  });
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const message = /excessive alias count/i.test(reason)
      ? `alias *${tripped?.source ?? '?'} expands the file past ${MAX_ALIAS_COUNT} alias uses (counting aliases inside anchors as many times as they are repeated): write the values out, or nest fewer aliases`
      : reason;
    return { ok: false, offset: tripped?.range?.[0], message };
  }
}

function checkRun(
  value: unknown,
  path: string,
  jobId: string,
  planDir: string,
  options: LoadOptions,
  issues: RunIssue[],
): FileRun | null {
  const problem = (at: string, kind: PlanIssueKind, message: string) => {
    issues.push({ path: at, kind, message });
    return null;
  };
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return problem(
      path,
      value === undefined ? 'missing' : 'wrong_type',
      `${path.split('.').at(-1)} must be an object such as { command: "make", args: ["test"] }; got ${describeValue(value)}`,
    );
  }
  const run = value as Record<string, unknown>;
  const before = issues.length;
  for (const { key, message } of unknownFields(run, RUN_KEYS, RUN_FIELD_ALIASES)) {
    problem(`${path}.${key}`, 'unknown_field', message);
  }
  if (typeof run.command !== 'string' || run.command === '') {
    problem(
      `${path}.command`,
      run.command === undefined ? 'missing' : 'wrong_type',
      `command must be a non-empty string; got ${describeValue(run.command)}`,
    );
  }
  if (
    run.args !== undefined &&
    (!Array.isArray(run.args) || run.args.some((a) => typeof a !== 'string'))
  ) {
    const message = `args must be a list of strings; got ${describeValue(run.args)}`;
    problem(`${path}.args`, 'wrong_type', message);
  }
  // No process can receive a NUL: spawn would refuse the job at run time, using up its retries.
  const nul = (value: unknown) => typeof value === 'string' && value.includes('\u0000');
  const words: [string, unknown][] = [
    ['command', run.command],
    ...(Array.isArray(run.args)
      ? run.args.map((arg, i) => [`args[${i}]`, arg] as [string, unknown])
      : []),
  ];
  for (const [field, value] of words) {
    if (nul(value)) {
      problem(
        `${path}.${field}`,
        'invalid_value',
        `${field} holds a NUL character, which no process can receive; remove it`,
      );
    }
  }
  if (run.shell !== undefined && typeof run.shell !== 'boolean') {
    const message = `shell must be true or false; got ${describeValue(run.shell)}`;
    problem(`${path}.shell`, 'wrong_type', message);
  }
  if (run.shell === true && run.args !== undefined) {
    problem(
      `${path}.args`,
      'conflict',
      'args cannot be used with shell: true (the command is a shell string then); put everything in command, or drop shell',
    );
  }
  if (run.env !== undefined) {
    const env = run.env as Record<string, unknown>;
    if (!env || typeof env !== 'object' || Array.isArray(env)) {
      const message = `env must map names to strings; got ${describeValue(run.env)}`;
      problem(`${path}.env`, 'wrong_type', message);
    } else {
      for (const [at, kind, message] of envProblems(env))
        problem(`${path}.env${at}`, kind, message);
      for (const [name, value] of Object.entries(env)) {
        const wrong = envValueProblem(name, value);
        if (wrong) problem(`${path}.env.${name}`, 'wrong_type', wrong);
      }
    }
  }
  if (run.cwd !== undefined) {
    if (typeof run.cwd !== 'string') {
      problem(`${path}.cwd`, 'wrong_type', `cwd must be a string; got ${describeValue(run.cwd)}`);
    } else if (nul(run.cwd)) {
      problem(
        `${path}.cwd`,
        'invalid_value',
        'cwd holds a NUL character, which no path can hold; remove it',
      );
    } else if (!hasExpression(run.cwd)) {
      // A cwd with expressions is checked when the job runs, once its value is known.
      const target = resolve(planDir, run.cwd);
      if (!options.allowOutsideCwd && !isInside(planDir, target)) {
        const real = realPath(target);
        const via = real === target ? '' : ` (it leads to ${real})`;
        problem(
          `${path}.cwd`,
          'outside_folder',
          `cwd "${run.cwd}" is outside the plan's folder${via}; pass --allow-outside-cwd to allow it`,
        );
      } else if (options.checkFolders !== false) {
        const missing = folderProblem(target);
        if (missing) {
          problem(
            `${path}.cwd`,
            'missing_folder',
            `${path.startsWith('jobs[') ? `job "${jobId}"` : path}: cwd "${run.cwd}" is not a folder: ${target} ${missing}; create it before the plan runs, or correct the path`,
          );
        }
      }
    }
  }
  return issues.length === before ? (run as unknown as FileRun) : null;
}

/**
 * Problems of an env map that `spawn` would only find at run time: a name must be non-empty and
 * hold no `=`, NUL or line break; a value must hold no NUL. Paths are relative to the map.
 */
function envProblems(env: Record<string, unknown>): Array<[string, PlanIssueKind, string]> {
  const problems: Array<[string, PlanIssueKind, string]> = [];
  for (const [name, value] of Object.entries(env)) {
    const at = /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
    if (name === '' || /[=\0\r\n]/.test(name)) {
      problems.push([
        at,
        'invalid_name',
        `env name ${JSON.stringify(name)} is not usable: a name must be non-empty and hold no "=", NUL or line break`,
      ]);
    }
    if (typeof value === 'string' && value.includes('\0')) {
      problems.push([
        at,
        'invalid_value',
        `env ${JSON.stringify(name)} holds a NUL character, which no process can receive`,
      ]);
    }
  }
  return problems;
}

/**
 * Whether `target` is `folder` or inside it, compared by real paths so that a symlink cannot lead
 * out (`..foo` is a name inside, not a way up). A target that does not exist yet is judged by its
 * closest existing ancestor.
 */
function isInside(folder: string, target: string): boolean {
  const inside = relative(realPath(folder), realPath(target));
  return (
    inside === '' || (inside !== '..' && !inside.startsWith(`..${sep}`) && !isAbsolute(inside))
  );
}

function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : join(realPath(parent), basename(path));
  }
}

/** The kernel's count for one string of a command line: its bytes, its NUL, its pointer. */
const POINTER_BYTES = 8;

/**
 * Sizes of what a shell job hands the kernel, against the limits `spawn` would otherwise hit
 * at run time with E2BIG: each argument (and `NAME=value`) alone, and everything together.
 */
function commandLineSize(
  run: ShellRun,
  path: string,
  issues: RunIssue[],
  warnings: RunIssue[],
): void {
  const strings: Array<[string, string, string]> = [
    [`${path}.command`, run.shell ? 'the shell command' : 'the command', run.command],
    ...(run.args ?? []).map((arg, i): [string, string, string] => [
      `${path}.args[${i}]`,
      `argument ${i + 1}`,
      arg,
    ]),
    ...Object.entries(run.env ?? {})
      .filter(([, value]) => typeof value === 'string')
      .map(([name, value]): [string, string, string] => [
        `${path}.env${/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`}`,
        `env ${JSON.stringify(name)} (as NAME=value)`,
        `${name}=${value}`,
      ]),
  ];
  const fix = 'pass large data through a file instead';
  let total = 0;
  for (const [at, what, text] of strings) {
    const size = Buffer.byteLength(text);
    total += size + 1 + POINTER_BYTES;
    if (size <= warnsAt('argumentBytes')) continue;
    const found = checkLimit('argumentBytes', size, what, fix);
    if (found) (found.over ? issues : warnings).push(sizeIssue(at, found));
  }
  const all = checkLimit('commandLineBytes', total, 'the command line with its env', fix);
  if (all) (all.over ? issues : warnings).push(sizeIssue(path, all));
}

const sizeIssue = (path: string, found: { over: boolean; message: string }): RunIssue => ({
  path,
  kind: found.over ? 'too_large' : 'near_limit',
  message: found.message,
  code: 'PLAN_TOO_LARGE',
});
