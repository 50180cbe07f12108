import { suggest } from '../plan/suggest.js';
import { NonRetryableError } from '../shared/errors.js';

/**
 * `${{ … }}` expressions in a plan file's commands. Each one is replaced, where it stands, by its
 * value: inside one argument, one env value or the `cwd`, and never through a shell, so a value
 * can hold spaces, quotes or `$(…)` and still arrive as written.
 */

/** What an expression can name. */
export type Expression =
  | { kind: 'plan.id' }
  | { kind: 'job.id' }
  | { kind: 'attempt.id' }
  /** An output of a job: `needs.<job>.outputs.<key>`, or `job.outputs.<key>` in integration hooks. */
  | { kind: 'outputs'; jobId: string | null; key: string };

/** Where a command stands decides what its expressions may name. */
export type ExpressionScope =
  /** A job's `run` or `verify`: its own ids and the outputs of the jobs in its `dependsOn`. */
  | { kind: 'job'; jobId: string; dependsOn: readonly string[]; jobIds: readonly string[] }
  /** A job's `verify`: its own ids. */
  | { kind: 'verify' }
  /** `integrate`, `check`, `rollback`: the job being integrated and its outputs. */
  | { kind: 'integration' }
  /** `finalize`: the outputs of every job. */
  | { kind: 'finalize'; jobIds: readonly string[] };

/** An expression's text: `${{`, anything but a line break up to the first `}}`. */
const EXPRESSION = /\$\{\{([^\n]*?)\}\}/g;
/** An output's name, as a line of `$PLAN_OUTPUT` gives it. */
export const OUTPUT_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const OUTPUT_REF = /^needs\.(.+)\.outputs\.(.+)$/;
const OWN_OUTPUT_REF = /^job\.outputs\.(.+)$/;

const FORMS: Record<ExpressionScope['kind'], string[]> = {
  job: ['plan.id', 'job.id', 'attempt.id', 'needs.<job>.outputs.<key>'],
  verify: ['plan.id', 'job.id', 'attempt.id'],
  integration: ['plan.id', 'job.id', 'job.outputs.<key>'],
  finalize: ['plan.id', 'needs.<job>.outputs.<key>'],
};

/** How an expression starts. */
export const OPEN = '$' + '{{';

export function hasExpression(text: string): boolean {
  return text.includes(OPEN);
}

/** Reads one expression; a problem is a message saying what is wrong and what would do. */
function parseExpression(
  source: string,
  scope: ExpressionScope,
): { ok: true; expression: Expression } | { ok: false; message: string } {
  const text = source.trim();
  const forms = FORMS[scope.kind];
  const wrong = (why: string) => ({ ok: false as const, message: `\${{ ${text} }}: ${why}` });
  const simple = ['plan.id', 'job.id', 'attempt.id'] as const;
  for (const name of simple) {
    if (text === name && forms.includes(name)) return { ok: true, expression: { kind: name } };
  }
  const needs = OUTPUT_REF.exec(text);
  if (needs && (scope.kind === 'job' || scope.kind === 'finalize')) {
    const [, jobId, key] = needs as unknown as [string, string, string];
    if (!OUTPUT_KEY.test(key)) return wrong(`"${key}" is not an output name (${KEY_RULE})`);
    const allowed = scope.kind === 'job' ? scope.dependsOn : scope.jobIds;
    if (!allowed.includes(jobId)) return wrong(notReachable(jobId, scope, allowed));
    return { ok: true, expression: { kind: 'outputs', jobId, key } };
  }
  const own = OWN_OUTPUT_REF.exec(text);
  if (own && scope.kind === 'integration') {
    const key = own[1]!;
    if (!OUTPUT_KEY.test(key)) return wrong(`"${key}" is not an output name (${KEY_RULE})`);
    return { ok: true, expression: { kind: 'outputs', jobId: null, key } };
  }
  const near = suggest(text, candidatesFor(text, scope));
  const hint = near ? `did you mean "${near}"? ` : '';
  return wrong(`unknown expression; ${hint}here one can use ${forms.join(', ')}`);
}

/** Suggestions stop here: a plan can have 100,000 jobs and `finalize` may name any of them. */
const MAX_CANDIDATES = 1000;

/** Expressions that `text` may have meant, written out with its last name as the output key. */
function candidatesFor(text: string, scope: ExpressionScope): string[] {
  const key = text.split('.').at(-1) ?? '';
  const forms = FORMS[scope.kind].filter((form) => !form.includes('<'));
  if (scope.kind === 'integration') return [...forms, `job.outputs.${key}`];
  if (scope.kind === 'verify') return forms;
  const jobs = scope.kind === 'job' ? scope.dependsOn : scope.jobIds;
  const needs = jobs.slice(0, MAX_CANDIDATES).map((job) => `needs.${job}.outputs.${key}`);
  return [...forms, ...needs];
}

const KEY_RULE = 'a letter or "_", then letters, digits, "_" or "-"';

function notReachable(
  jobId: string,
  scope: Extract<ExpressionScope, { kind: 'job' | 'finalize' }>,
  allowed: readonly string[],
): string {
  if (scope.kind === 'job' && scope.jobIds.includes(jobId)) {
    return `job "${jobId}" is not in the dependsOn of job "${scope.jobId}" (only the outputs of direct dependencies can be used); add "${jobId}" to its dependsOn`;
  }
  const near = suggest(jobId, allowed);
  return `there is no job "${jobId}"${near ? `; did you mean "${near}"?` : ''}`;
}

/** Every problem of the expressions in one value, each as a message. */
export function expressionProblems(text: string, scope: ExpressionScope): string[] {
  const problems: string[] = [];
  for (const match of text.matchAll(EXPRESSION)) {
    const parsed = parseExpression(match[1]!, scope);
    if (!parsed.ok) problems.push(parsed.message);
  }
  const rest = text.replace(EXPRESSION, '');
  if (rest.includes(OPEN)) {
    problems.push(`"${OPEN}" opens an expression that no "}}" closes on the same line`);
  }
  return problems;
}

/** What expressions stand for when a command is about to run. */
export interface ExpressionValues {
  planId: string;
  jobId: string;
  attemptId?: string;
  /** The outputs of a job (`null`: the job the command is about). */
  outputsOf(jobId: string | null): unknown;
}

/**
 * The text with each expression replaced by its value. A missing value (an output the job did
 * not write) is an error naming it: running the command with an empty string in its place could
 * do harm that a failed job does not.
 */
export function substitute(text: string, scope: ExpressionScope, values: ExpressionValues): string {
  return text.replace(EXPRESSION, (whole, inner: string) => {
    const parsed = parseExpression(inner, scope);
    // Validation refused every bad expression before anything ran.
    if (!parsed.ok) throw new NonRetryableError(parsed.message);
    const { expression } = parsed;
    if (expression.kind === 'plan.id') return values.planId;
    if (expression.kind === 'job.id') return values.jobId;
    if (expression.kind === 'attempt.id') return values.attemptId ?? '';
    const output = values.outputsOf(expression.jobId);
    const outputs = (output as { outputs?: Record<string, unknown> } | undefined)?.outputs;
    const value = outputs?.[expression.key];
    if (typeof value === 'string') return value;
    const who = expression.jobId ?? values.jobId;
    const wrote = outputs ? Object.keys(outputs) : [];
    const listed = wrote.length > 0 ? `it wrote ${wrote.join(', ')}` : 'it wrote no outputs';
    throw new NonRetryableError(
      `${whole.trim()} has no value: job "${who}" did not write the output "${expression.key}" to $PLAN_OUTPUT (${listed})`,
    );
  });
}
