import { resolve } from 'node:path';
import type { PlanSummary } from '../../machines/plan.machine.js';
import type { HookContext, IntegrationSubject, JobRun, JobRunContext } from '../plan/types.js';
import type { Redact } from '../runtime/redact.js';
import type { PlanIssueKind } from '../shared/errors.js';
import { bindCommand, templateIssues, usesExpressions } from './command-templates.js';
import type { ExpressionScope, ExpressionValues } from './expressions.js';
import type { AttemptLogs } from './job-logs.js';
import type { FileRun } from './secret-env.js';
import { type OutputLine, runCommand, type ShellRun, shellJob, shellVerify } from './shell-job.js';

/**
 * The commands of a plan file beyond its jobs' `run`: the integration stage (`integrate`,
 * `check`, `rollback`) and `finalize`, each written like a job's `run` and run the same way (no
 * shell unless asked, arguments verbatim, secrets redacted).
 */

/** A command of the file once checked: as written, and with its secrets read. */
export interface CheckedCommand {
  written: FileRun;
  run: ShellRun;
}

/** What the plan file's reader lends to build commands. */
export interface CommandReader {
  planId: string;
  planDir: string;
  /** Every job id of the plan (what `finalize` may refer to). */
  jobIds: readonly string[];
  redact: Redact;
  /** Where each attempt of a job keeps its output lines; none when absent. */
  logs?: AttemptLogs;
  /** Checks the command at `path` (recording its problems); null when it has any. */
  check(value: unknown, path: string, label: string): CheckedCommand | null;
  /** Whether a `cwd` computed when the command runs may be used. */
  insideAllowed(target: string): boolean;
  issues: Array<{ path: string; code: string; kind: PlanIssueKind; message: string }>;
}

const HOOKS = ['integrate', 'check', 'rollback'] as const;
/** Lines of a hook's output kept for its error message. */
const LAST_LINES = 10;

/**
 * The command of a job's `run` or `verify`, or of a hook, as it runs for `subject`: its
 * expressions (checked here, problems recorded) take the values `valuesOf` gives then.
 */
export function commandBinder<Subject>(
  command: CheckedCommand,
  path: string,
  scope: ExpressionScope,
  reader: CommandReader,
  valuesOf: (subject: Subject) => ExpressionValues,
): (subject: Subject) => { run: ShellRun; cwd: string } {
  reader.issues.push(...templateIssues(command.written, path, scope));
  const { written, run } = command;
  if (!usesExpressions(written)) {
    const fixed = { run, cwd: resolve(reader.planDir, run.cwd ?? '.') };
    return () => fixed;
  }
  return (subject) =>
    bindCommand(written, run, reader.planDir, scope, valuesOf(subject), reader.insideAllowed);
}

/** A job's `run` as a job function: its expressions name its ids and its dependencies' outputs. */
export function jobCommand(
  command: CheckedCommand,
  path: string,
  scope: Extract<ExpressionScope, { kind: 'job' }>,
  reader: CommandReader,
): JobRun {
  const bind = commandBinder(command, path, scope, reader, (ctx: JobRunContext) => ({
    planId: reader.planId,
    jobId: ctx.jobId,
    attemptId: ctx.attemptId,
    outputsOf: (jobId) => (jobId === null ? undefined : ctx.needs[jobId]),
  }));
  return shellJob(command.run, reader.planDir, { redact: reader.redact, bind, logs: reader.logs });
}

/** A job's `verify` as a function: exit code 0 accepts the result (see `shellVerify`). */
export function verifyCommand(command: CheckedCommand, path: string, reader: CommandReader) {
  const bind = commandBinder(
    command,
    path,
    { kind: 'verify' },
    reader,
    (ctx: JobRunContext): ExpressionValues => ({
      planId: reader.planId,
      jobId: ctx.jobId,
      attemptId: ctx.attemptId,
      outputsOf: () => undefined,
    }),
  );
  return shellVerify(command.run, reader.planDir, reader.redact, bind);
}

/**
 * Runs a hook's command to its end; a failure's message ends with the command's last lines of
 * output, which say why a merge conflicted or which test failed.
 */
async function runHook(
  bound: { run: ShellRun; cwd: string },
  signal: AbortSignal,
  redact: Redact,
): Promise<Record<string, string>> {
  const lines: string[] = [];
  const report = (progress: unknown) => {
    lines.push((progress as OutputLine).line);
    if (lines.length > LAST_LINES) lines.shift();
  };
  try {
    return await runCommand(bound.run, bound.cwd, { signal, report }, { redact });
  } catch (error) {
    if (signal.aborted || !(error instanceof Error) || lines.length === 0) throw error;
    throw new Error(`${error.message}; last output:\n${lines.join('\n')}`);
  }
}

/**
 * The integration stage of a plan file, its hooks as functions; `integration` itself (`order`,
 * `checkTimeoutMs`) is left for validation. `integrate` may write `changed=false` to
 * `$PLAN_OUTPUT` to say there was nothing to integrate.
 */
export function integrationFromFile(value: unknown, reader: CommandReader): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  const written = value as Record<string, unknown>;
  const spec: Record<string, unknown> = { ...written };
  for (const hook of HOOKS) {
    if (written[hook] === undefined) continue;
    const path = `integration.${hook}`;
    const command = reader.check(written[hook], path, path);
    // A command with problems was reported where it is; validation need not say it again.
    spec[hook] = command ? hookFunction(command, path, reader) : () => undefined;
  }
  return spec;
}

function hookFunction(command: CheckedCommand, path: string, reader: CommandReader) {
  const bind = commandBinder(
    command,
    path,
    { kind: 'integration' },
    reader,
    (job: IntegrationSubject): ExpressionValues => ({
      planId: reader.planId,
      jobId: job.jobId,
      outputsOf: () => job.output,
    }),
  );
  return async (job: IntegrationSubject, { signal }: HookContext) => {
    const outputs = await runHook(bind(job), signal, reader.redact);
    return { changed: outputs.changed !== 'false' };
  };
}

/** `finalize` of a plan file as a function; its output is `{ exitCode: 0, outputs? }`. */
export function finalizeFromFile(value: unknown, reader: CommandReader): unknown {
  if (value === undefined) return undefined;
  const command = reader.check(value, 'finalize', 'finalize');
  if (!command) return () => undefined;
  const bind = commandBinder(
    command,
    'finalize',
    { kind: 'finalize', jobIds: reader.jobIds },
    reader,
    (summary: PlanSummary): ExpressionValues => ({
      planId: summary.planId,
      jobId: 'finalize',
      outputsOf: (jobId) => summary.jobs.find((job) => job.id === jobId)?.output,
    }),
  );
  return async (summary: PlanSummary, { signal }: HookContext) => {
    const outputs = await runHook(bind(summary), signal, reader.redact);
    return Object.keys(outputs).length > 0 ? { exitCode: 0, outputs } : { exitCode: 0 };
  };
}
