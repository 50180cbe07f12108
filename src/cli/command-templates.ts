import { resolve } from 'node:path';
import { NonRetryableError } from '../shared/errors.js';
import {
  type ExpressionScope,
  type ExpressionValues,
  expressionProblems,
  hasExpression,
  OPEN,
  substitute,
} from './expressions.js';
import type { FileRun } from './secret-env.js';
import type { ShellRun } from './shell-job.js';

/** A problem at a path of the plan file. */
export interface TemplateIssue {
  path: string;
  code: 'INVALID_EXPRESSION';
  kind: 'invalid_expression';
  message: string;
}

/**
 * The problems of the `${{ … }}` expressions of one command as the file writes it: in `args`,
 * literal `env` values and `cwd` they must name something `scope` offers; in `command` they are
 * refused, because a command (a shell string with `shell: true`) must be what the file says.
 */
export function templateIssues(
  run: FileRun,
  path: string,
  scope: ExpressionScope,
): TemplateIssue[] {
  const issues: TemplateIssue[] = [];
  const add = (at: string, message: string) =>
    issues.push({
      path: `${path}${at}`,
      code: 'INVALID_EXPRESSION',
      kind: 'invalid_expression',
      message,
    });
  if (hasExpression(run.command)) {
    add(
      '.command',
      `expressions (${OPEN} … }}) cannot be used in command: put the value in args, or in env and read it from there`,
    );
  }
  (run.args ?? []).forEach((arg, i) => {
    for (const problem of expressionProblems(arg, scope)) add(`.args[${i}]`, problem);
  });
  for (const [name, value] of Object.entries(run.env ?? {})) {
    if (typeof value !== 'string') continue;
    for (const problem of expressionProblems(value, scope)) add(`.env.${name}`, problem);
  }
  if (run.cwd !== undefined) {
    for (const problem of expressionProblems(run.cwd, scope)) add('.cwd', problem);
  }
  return issues;
}

/** Whether a command as the file writes it holds expressions to replace when it runs. */
export function usesExpressions(run: FileRun): boolean {
  return (
    (run.args ?? []).some(hasExpression) ||
    Object.values(run.env ?? {}).some(
      (value) => typeof value === 'string' && hasExpression(value),
    ) ||
    (run.cwd !== undefined && hasExpression(run.cwd))
  );
}

/**
 * The command with its expressions replaced by `values`, each inside the one value it stands in.
 * Only env values written in the file are templates: a secret read from the environment is used
 * as it is. A `cwd` that leads outside the plan's folder is refused as validation refuses a
 * written one (`insideAllowed` says where the boundary is).
 */
export function bindCommand(
  written: FileRun,
  run: ShellRun,
  planDir: string,
  scope: ExpressionScope,
  values: ExpressionValues,
  insideAllowed: (target: string) => boolean,
): { run: ShellRun; cwd: string } {
  const fill = (text: string) => substitute(text, scope, values);
  const env: Record<string, string> = { ...run.env };
  for (const [name, value] of Object.entries(written.env ?? {})) {
    if (typeof value === 'string') env[name] = fill(value);
  }
  const cwd = run.cwd === undefined ? undefined : fill(run.cwd);
  const target = resolve(planDir, cwd ?? '.');
  if (cwd !== run.cwd && !insideAllowed(target)) {
    throw new NonRetryableError(
      `cwd "${cwd}" (from "${run.cwd}") is outside the plan's folder; pass --allow-outside-cwd to allow it`,
    );
  }
  return {
    run: {
      ...run,
      ...(run.args ? { args: run.args.map(fill) } : {}),
      ...(run.env ? { env } : {}),
      ...(cwd !== undefined ? { cwd } : {}),
    },
    cwd: target,
  };
}
