import { describe, expect, it } from 'vitest';
import { RUN_FIELDS } from '../src/cli/run-fields.js';
import type { FileRun } from '../src/cli/secret-env.js';
import { type Fields, JOB_FIELDS, PLAN_FIELDS, RETRY_FIELDS } from '../src/plan/fields.js';
import { rangeProblem } from '../src/plan/range.js';
import type { RetryPolicy } from '../src/plan/types.js';
import { findPlanIssues } from '../src/plan/validate.js';

const run = async () => 1;

describe('field tables', () => {
  it('must name every field of their interface and no other, or the typecheck fails', () => {
    const rule = { type: 'integer', min: 0, max: 1, doc: '' } as const;
    const { jitter: _, ...withoutJitter } = RETRY_FIELDS;
    const { shell: __, ...runWithoutShell } = RUN_FIELDS;
    // @ts-expect-error jitter is missing
    const missing = withoutJitter satisfies Fields<RetryPolicy>;
    const extra = {
      ...RETRY_FIELDS,
      // @ts-expect-error a table cannot hold a field its interface lacks
      tries: rule,
    } satisfies Fields<RetryPolicy>;
    // @ts-expect-error shell is missing
    const runMissing = runWithoutShell satisfies Record<keyof FileRun, string>;
    expect([missing, extra, runMissing]).toHaveLength(3);
    expect(Object.keys(RUN_FIELDS)).toEqual(['command', 'args', 'cwd', 'env', 'shell']);
  });

  it('are the fields the validator knows: every listed field is accepted, any other refused', () => {
    const job = Object.fromEntries(Object.keys(JOB_FIELDS).map((key) => [key, undefined]));
    const plan = Object.fromEntries(Object.keys(PLAN_FIELDS).map((key) => [key, undefined]));
    const issues = findPlanIssues({ ...plan, id: 'p', jobs: [{ ...job, id: 'a', run, color: 1 }] });
    expect(issues.map((i) => [i.kind, i.path])).toEqual([['unknown_field', 'jobs[0].color']]);
  });
});

describe('plan issues', () => {
  it('say what is wrong, on which field, and the likely name, without parsing the message', () => {
    const issues = findPlanIssues({
      id: 'p',
      maxParallel: 0,
      mode: 'copliot',
      jobs: [{ id: 'a', run, retry: { maxAttempts: 2, jiter: 1 }, dependsOn: ['zzzz'] }],
    });
    expect(
      issues.map(({ kind, field, jobId, suggestion }) => ({ kind, field, jobId, suggestion })),
    ).toEqual([
      { kind: 'not_one_of', field: 'mode', jobId: undefined, suggestion: 'copilot' },
      { kind: 'out_of_range', field: 'maxParallel', jobId: undefined, suggestion: undefined },
      { kind: 'unknown_field', field: 'retry.jiter', jobId: 'a', suggestion: 'jitter' },
      { kind: 'unknown_dependency', field: 'dependsOn', jobId: 'a', suggestion: undefined },
    ]);
  });

  it('tell a missing value from one of the wrong type', () => {
    const issues = findPlanIssues({ id: 'p', jobs: [{ id: 'a' }, { id: 'b', run: 'make' }] });
    expect(issues.map((i) => [i.kind, i.path])).toEqual([
      ['missing', 'jobs[0].run'],
      ['wrong_type', 'jobs[1].run'],
    ]);
  });
});

describe('rangeProblem, the one bounds check of plans, options and flags', () => {
  it('names the thing, its bounds, the unit and the value it got', () => {
    const bounds = { integer: true, min: 1000, max: 600_000, unit: 'milliseconds' };
    expect(rangeProblem('leaseMs', 5000, bounds)).toBeNull();
    expect(rangeProblem('leaseMs', 1.5, bounds)).toBe(
      'leaseMs must be an integer from 1000 to 600000 (milliseconds); got 1.5',
    );
    expect(rangeProblem('n', Number.NaN, { integer: false, min: 0, max: 1 })).toBe(
      'n must be a number from 0 to 1; got null',
    );
    expect(
      rangeProblem(
        'every',
        0,
        { integer: true, min: 1, max: 1e9 },
        { grouped: true, optional: true },
      ),
    ).toBe('every must be an integer from 1 to 1,000,000,000, or left out for the default; got 0');
  });
});
