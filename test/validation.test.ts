import { describe, expect, it } from 'vitest';
import { createOrchestrator, definePlan, PlanValidationError, validatePlan } from '../src/index.js';
import { findCycles } from '../src/plan/graph.js';
import { suggest } from '../src/plan/suggest.js';
import {
  describeValue,
  findAddedJobIssues,
  findPlanIssues,
  ID_RULE,
} from '../src/plan/validate.js';

const run = async () => 1;
const job = (id: string, dependsOn?: string[], extra: Record<string, unknown> = {}) => ({
  id,
  run,
  ...(dependsOn ? { dependsOn } : {}),
  ...extra,
});
const plan = <J>(jobs: J[], extra: Record<string, unknown> = {}) => ({
  id: 'p',
  jobs,
  ...extra,
});
/** The one issue of a spec that has exactly one problem. */
const only = (spec: unknown) => {
  const issues = findPlanIssues(spec);
  expect(issues).toHaveLength(1);
  return issues[0]!;
};
const withOption = (extra: Record<string, unknown>) => only(plan([job('a')], extra));
const withJob = (extra: Record<string, unknown>) => only(plan([job('a', undefined, extra)]));

describe('suggest', () => {
  it('finds the closest candidate, ignoring case, counting a transposition as one edit', () => {
    expect(suggest('bulid', ['test', 'build', 'lint'])).toBe('build');
    expect(suggest('BUILD', ['test', 'build'])).toBe('build');
    expect(suggest('dependson', ['id', 'dependsOn'])).toBe('dependsOn');
    expect(suggest('tset', ['test'])).toBe('test');
    expect(suggest('depends_on', ['id', 'dependsOn', 'run'])).toBe('dependsOn');
  });

  it('returns nothing when no candidate is close enough', () => {
    expect(suggest('zzzzzz', ['build', 'test'])).toBeUndefined();
    // "ab" allows one edit, "xyz" would need three.
    expect(suggest('ab', ['xyz'])).toBeUndefined();
    expect(suggest('ab', ['abc'])).toBe('abc');
    expect(suggest('x', [])).toBeUndefined();
  });

  it('prefers the nearer candidate and, among equals, the earlier one', () => {
    expect(suggest('buildd', ['builds', 'build'])).toBe('builds');
    expect(suggest('build1', ['build2', 'build3'])).toBe('build2');
    expect(suggest('abcdef', ['abcxyz', 'abcdex'])).toBe('abcdex');
  });
});

describe('findCycles', () => {
  const cyclesOf = (graph: Record<string, string[]>) => {
    const ids = Object.keys(graph);
    const edges = ids.map((id) => graph[id]!.map((dep) => ids.indexOf(dep)));
    return findCycles(ids, (i) => edges[i]!);
  };

  it('finds nothing in a graph without cycles', () => {
    expect(cyclesOf({ a: [], b: ['a'], c: ['a', 'b'] })).toEqual([]);
    expect(findCycles([], () => [])).toEqual([]);
  });

  it('gives the path of 2-cycles, 3-cycles and self-loops', () => {
    expect(cyclesOf({ a: ['b'], b: ['a'] })).toEqual([['a', 'b', 'a']]);
    expect(cyclesOf({ a: ['b'], b: ['c'], c: ['a'] })).toEqual([['a', 'b', 'c', 'a']]);
    expect(cyclesOf({ a: ['a'] })).toEqual([['a', 'a']]);
  });

  it('reports one cycle per strongly connected part, in declaration order', () => {
    expect(cyclesOf({ x: [], c: ['d'], a: ['b'], d: ['c'], b: ['a'], s: ['s'] })).toEqual([
      ['c', 'd', 'c'],
      ['a', 'b', 'a'],
      ['s', 's'],
    ]);
    // One part holding several cycles: the shortest through its first job is reported.
    expect(cyclesOf({ a: ['b', 'c'], b: ['c'], c: ['a', 'b'] })).toEqual([['a', 'c', 'a']]);
  });

  it('walks a 100,000-node cycle without recursion', () => {
    const n = 100_000;
    const ids = Array.from({ length: n }, (_, i) => `j${i}`);
    const cycles = findCycles(ids, (i) => [(i + 1) % n]);
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toHaveLength(n + 1);
    expect(cycles[0]!.slice(0, 3)).toEqual(['j0', 'j1', 'j2']);
    expect(cycles[0]!.at(-1)).toBe('j0');
  });
});

describe('describeValue', () => {
  it('echoes the value with its type', () => {
    expect(describeValue(1.5)).toBe('1.5 (number)');
    expect(describeValue(Number.NaN)).toBe('NaN (number)');
    expect(describeValue(Number.NEGATIVE_INFINITY)).toBe('-Infinity (number)');
    expect(describeValue(-0)).toBe('-0 (number)');
    expect(describeValue('4')).toBe('"4" (string)');
    expect(describeValue(true)).toBe('true (boolean)');
    expect(describeValue(5n)).toBe('5n (bigint)');
    expect(describeValue(null)).toBe('null');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue([1, 'a', [2], {}])).toBe('[1, "a", […], …] (array)');
    expect(describeValue({ a: 1, 'b c': { d: 1 } })).toBe('{ a: 1, "b c": {…} } (object)');
    expect(describeValue({})).toBe('{} (object)');
    expect(describeValue(run)).toBe('[function run] (function)');
  });

  it('truncates long strings', () => {
    expect(describeValue('x'.repeat(1000))).toBe(`"${'x'.repeat(40)}"… (string)`);
  });
});

describe('findPlanIssues: plan options', () => {
  it('accepts a valid plan, an empty plan, and every documented option', () => {
    expect(validatePlan(plan([job('a'), job('b', ['a'])]))).toMatchObject({ ok: true });
    expect(findPlanIssues(plan([]))).toEqual([]);
    const full = plan([job('a', [], { input: { x: 1 }, timeoutMs: 1, priority: -3 })], {
      name: 'Release',
      mode: 'supervisor',
      maxParallel: 1_000_000,
      onJobFailure: 'continue',
      onSkip: 'release',
      defaultRetry: { maxAttempts: 3, initialDelayMs: 0, factor: 1, maxDelayMs: 0, jitter: 1 },
      integration: { integrate: run, check: run, order: 'strict', checkTimeoutMs: 5 },
      finalize: run,
    });
    expect(findPlanIssues(full)).toEqual([]);
  });

  it('reports a spec that is not a plan at all, without throwing', () => {
    for (const spec of [null, undefined, 7, 'plan', [job('a')]]) {
      expect(only(spec)).toMatchObject({ code: 'INVALID_PLAN', path: '' });
    }
    expect(only(null).message).toBe(
      'A plan must be an object with an id and a jobs array; got null',
    );
    expect(only({ id: 'p', jobs: { a: 1 } })).toEqual({
      code: 'INVALID_PLAN',
      path: 'jobs',
      kind: 'wrong_type',
      field: 'jobs',
      message: 'jobs must be an array of jobs (it may be empty); got { a: 1 } (object)',
    });
    expect(only({ id: 'p' }).message).toContain('got undefined');
  });

  it('reports input whose getters throw instead of throwing', () => {
    const hostile = {
      id: 'p',
      get jobs(): unknown {
        throw new Error('boom');
      },
    };
    expect(only(hostile)).toEqual({
      code: 'INVALID_PLAN',
      path: '',
      kind: 'unreadable',
      message: 'The plan could not be read (boom); pass plain data',
    });
  });

  it('echoes a bad maxParallel with its type', () => {
    const messages = [0, Number.NaN, 1.5, '4', -1, 2_000_000, null].map(
      (maxParallel) => withOption({ maxParallel }).message,
    );
    const rule = 'maxParallel must be an integer from 1 to 1000000; got';
    expect(messages).toEqual([
      `${rule} 0 (number)`,
      `${rule} NaN (number)`,
      `${rule} 1.5 (number)`,
      `${rule} "4" (string)`,
      `${rule} -1 (number)`,
      `${rule} 2000000 (number)`,
      `${rule} null`,
    ]);
    expect(withOption({ maxParallel: 0 })).toMatchObject({
      code: 'INVALID_OPTION',
      path: 'maxParallel',
    });
    expect(withOption({ maxParallel: 0 }).jobId).toBeUndefined();
  });

  it('checks the plan id, name and the choice options, suggesting the near choice', () => {
    expect(only({ id: 'has space', jobs: [] })).toEqual({
      code: 'INVALID_ID',
      path: 'id',
      kind: 'invalid_id',
      field: 'id',
      message:
        'The plan id must be a letter or digit, then up to 79 letters, digits, ".", "_" or "-"; got "has space" (string)',
    });
    expect(only({ jobs: [] })).toMatchObject({ code: 'INVALID_ID', path: 'id' });
    expect(only({ jobs: [] }).message).toBe(
      `The plan id is missing: add an id, ${ID_RULE} (for example "build")`,
    );
    expect(withOption({ name: 5 })).toEqual({
      code: 'INVALID_OPTION',
      path: 'name',
      kind: 'wrong_type',
      field: 'name',
      message: 'name must be a string; got 5 (number)',
    });
    expect(withOption({ mode: 'copliot' })).toEqual({
      code: 'INVALID_OPTION',
      path: 'mode',
      kind: 'not_one_of',
      field: 'mode',
      suggestion: 'copilot',
      message:
        'mode must be one of "autopilot", "copilot", "supervisor"; got "copliot" (string); did you mean "copilot"?',
    });
    expect(withOption({ mode: 'pilot' }).message).not.toContain('did you mean');
    expect(withOption({ onJobFailure: 'stop' })).toMatchObject({
      path: 'onJobFailure',
      message: 'onJobFailure must be one of "pause", "fail", "continue"; got "stop" (string)',
    });
    expect(withOption({ onSkip: true })).toMatchObject({
      path: 'onSkip',
      message: 'onSkip must be one of "block", "release"; got true (boolean)',
    });
  });

  it('flags unknown plan fields with a did-you-mean', () => {
    expect(withOption({ maxParalel: 2 })).toEqual({
      code: 'INVALID_OPTION',
      path: 'maxParalel',
      kind: 'unknown_field',
      field: 'maxParalel',
      suggestion: 'maxParallel',
      message: 'unknown field "maxParalel"; did you mean "maxParallel"?',
    });
    expect(withOption({ colour: 'red' }).message).toBe(
      'unknown field "colour"; known fields: id, name, mode, maxParallel, onJobFailure, onSkip, onInterrupt, defaultRetry, integration, finalize, jobs',
    );
  });

  it('checks the integration stage and finalize', () => {
    expect(withOption({ integration: { check: run } })).toMatchObject({
      path: 'integration.integrate',
      message: 'integration.integrate must be a function; got undefined',
    });
    expect(withOption({ integration: { integrate: run, order: 'random' } }).path).toBe(
      'integration.order',
    );
    expect(withOption({ finalize: 'open a PR' }).message).toBe(
      'finalize must be a function; got "open a PR" (string)',
    );
  });
});

describe('findPlanIssues: retry policies', () => {
  it('checks every retry option of a job, echoing the value and its type', () => {
    const issues = findPlanIssues(
      plan([
        job('a', undefined, {
          retry: { maxAttempts: 0, initialDelayMs: -5, factor: 0.5, jitter: 2, tries: 3 },
        }),
      ]),
    );
    expect(issues.map((i) => [i.path, i.message])).toEqual([
      [
        'jobs[0].retry.tries',
        'unknown field "tries"; known fields: maxAttempts, initialDelayMs, factor, maxDelayMs, jitter',
      ],
      [
        'jobs[0].retry.maxAttempts',
        'retry.maxAttempts must be an integer from 1 to 1000; got 0 (number)',
      ],
      [
        'jobs[0].retry.initialDelayMs',
        'retry.initialDelayMs must be an integer from 0 to 86400000; got -5 (number)',
      ],
      ['jobs[0].retry.factor', 'retry.factor must be a number from 1 to 100; got 0.5 (number)'],
      ['jobs[0].retry.jitter', 'retry.jitter must be a number from 0 to 1; got 2 (number)'],
    ]);
    expect(new Set(issues.map((i) => i.code))).toEqual(new Set(['INVALID_OPTION']));
    expect(new Set(issues.map((i) => i.jobId))).toEqual(new Set(['a']));
  });

  it('checks the bounds exactly', () => {
    const retry = (policy: Record<string, unknown>) => withJob({ retry: policy });
    expect(retry({ maxAttempts: 1001 }).message).toContain('got 1001 (number)');
    expect(retry({ maxAttempts: 2.5 }).message).toContain('got 2.5 (number)');
    expect(retry({ maxAttempts: 1, initialDelayMs: 86_400_001 }).path).toBe(
      'jobs[0].retry.initialDelayMs',
    );
    expect(retry({ maxAttempts: 1, factor: 101 }).path).toBe('jobs[0].retry.factor');
    expect(retry({ maxAttempts: 1, factor: Number.POSITIVE_INFINITY }).message).toContain(
      'got Infinity (number)',
    );
    expect(retry({ maxAttempts: 1, jitter: -0.1 }).path).toBe('jobs[0].retry.jitter');
    expect(retry({ maxAttempts: 1, maxDelayMs: 86_400_001 }).path).toBe('jobs[0].retry.maxDelayMs');
    expect(findPlanIssues(plan([job('a', undefined, { retry: { maxAttempts: 1000 } })]))).toEqual(
      [],
    );
  });

  it('requires maxAttempts and an object', () => {
    expect(withJob({ retry: {} }).message).toBe(
      'retry.maxAttempts must be an integer from 1 to 1000; got undefined',
    );
    expect(withJob({ retry: 3 })).toMatchObject({
      path: 'jobs[0].retry',
      message: 'retry must be an object such as { maxAttempts: 3 }; got 3 (number)',
    });
  });

  it('keeps maxDelayMs at least initialDelayMs, whose default is 1000', () => {
    expect(withJob({ retry: { maxAttempts: 2, initialDelayMs: 500, maxDelayMs: 100 } })).toEqual({
      code: 'INVALID_OPTION',
      path: 'jobs[0].retry.maxDelayMs',
      kind: 'out_of_range',
      field: 'retry.maxDelayMs',
      jobId: 'a',
      message:
        'retry.maxDelayMs must be an integer from 500 (the initialDelayMs) to 86400000; got 100 (number)',
    });
    expect(withJob({ retry: { maxAttempts: 2, maxDelayMs: 999 } }).message).toBe(
      'retry.maxDelayMs must be an integer from 1000 (the default initialDelayMs) to 86400000; got 999 (number)',
    );
    // A bad initialDelayMs is one mistake: maxDelayMs is not compared with it.
    const issues = findPlanIssues(
      plan([job('a', undefined, { retry: { maxAttempts: 2, initialDelayMs: -1, maxDelayMs: 0 } })]),
    );
    expect(issues.map((i) => i.path)).toEqual(['jobs[0].retry.initialDelayMs']);
  });

  it('checks defaultRetry like a job retry', () => {
    expect(withOption({ defaultRetry: { maxAttempts: 3, factor: 0 } })).toEqual({
      code: 'INVALID_OPTION',
      path: 'defaultRetry.factor',
      kind: 'out_of_range',
      field: 'defaultRetry.factor',
      message: 'defaultRetry.factor must be a number from 1 to 100; got 0 (number)',
    });
    expect(withOption({ defaultRetry: { maxAttempts: 3, jiter: 0.5 } }).message).toBe(
      'unknown field "jiter"; did you mean "jitter"?',
    );
  });
});

describe('findPlanIssues: jobs', () => {
  it('rejects ids outside the grammar, __proto__ included', () => {
    for (const id of ['__proto__', '', 'has space', '-lead', '.lead', 'x'.repeat(81), 7, null]) {
      expect(only(plan([{ id, run }]))).toMatchObject({ code: 'INVALID_ID', path: 'jobs[0].id' });
    }
    expect(findPlanIssues(plan([{ id: 'x'.repeat(80), run }]))).toEqual([]);
    expect(only(plan([{ id: 'a b', run }]))).toEqual({
      code: 'INVALID_ID',
      path: 'jobs[0].id',
      kind: 'invalid_id',
      field: 'id',
      message:
        'A job id must be a letter or digit, then up to 79 letters, digits, ".", "_" or "-"; got "a b" (string)',
    });
    expect(only(plan([{ id: 7, run }])).message).toContain('got 7 (number)');
    expect(only({ id: '__proto__', jobs: [] }).path).toBe('id');
  });

  it('reports jobs that are not objects', () => {
    expect(only(plan([job('a'), 5]))).toEqual({
      code: 'INVALID_JOB',
      path: 'jobs[1]',
      kind: 'wrong_type',
      message: 'A job must be an object with at least an id and a run function; got 5 (number)',
    });
    expect(only(plan([null])).path).toBe('jobs[0]');
    expect(only(plan([[job('a')]])).message).toContain('(array)');
  });

  it('requires run to be a function and verify, if present, too', () => {
    expect(only(plan([{ id: 'a' }]))).toEqual({
      code: 'INVALID_JOB',
      path: 'jobs[0].run',
      kind: 'missing',
      field: 'run',
      jobId: 'a',
      message: 'Job "a": run must be a function; got undefined',
    });
    expect(withJob({ run: 'make' }).message).toBe(
      'Job "a": run must be a function; got "make" (string)',
    );
    expect(withJob({ verify: true })).toEqual({
      code: 'INVALID_JOB',
      path: 'jobs[0].verify',
      kind: 'wrong_type',
      field: 'verify',
      jobId: 'a',
      message: 'Job "a": verify must be a function; got true (boolean)',
    });
  });

  it('checks the shape of dependsOn', () => {
    expect(withJob({ dependsOn: 'b' })).toEqual({
      code: 'INVALID_JOB',
      path: 'jobs[0].dependsOn',
      kind: 'wrong_type',
      field: 'dependsOn',
      jobId: 'a',
      message: 'Job "a": dependsOn must be an array of job ids; got "b" (string)',
    });
    expect(only(plan([job('a'), job('b', ['a', 3 as never])]))).toEqual({
      code: 'INVALID_JOB',
      path: 'jobs[1].dependsOn[1]',
      kind: 'wrong_type',
      field: 'dependsOn',
      jobId: 'b',
      message: 'Job "b": dependsOn[1] must be a job id (a string); got 3 (number)',
    });
    expect(only(plan([job('a'), job('b', ['a', 'a'])]))).toEqual({
      code: 'INVALID_JOB',
      path: 'jobs[1].dependsOn[1]',
      kind: 'duplicate_dependency',
      field: 'dependsOn',
      jobId: 'b',
      message: 'Job "b" lists dependency "a" twice; remove one',
    });
    expect(findPlanIssues(plan([job('a'), job('b', [])]))).toEqual([]);
  });

  it('finds a dependency listed twice in a long list too', () => {
    const ids = Array.from({ length: 30 }, (_, i) => `d${i}`);
    const jobs = [...ids.map((id) => job(id)), job('x', [...ids, 'd7'])];
    expect(only(plan(jobs)).path).toBe('jobs[30].dependsOn[30]');
  });

  it('checks timeoutMs and priority', () => {
    expect(withJob({ timeoutMs: 0 })).toEqual({
      code: 'INVALID_OPTION',
      path: 'jobs[0].timeoutMs',
      kind: 'out_of_range',
      field: 'timeoutMs',
      jobId: 'a',
      message: 'timeoutMs must be an integer from 1 to 2147483647; got 0 (number)',
    });
    expect(withJob({ timeoutMs: 2_147_483_648 }).message).toContain('got 2147483648 (number)');
    expect(withJob({ timeoutMs: '5s' }).message).toContain('got "5s" (string)');
    expect(findPlanIssues(plan([job('a', undefined, { timeoutMs: 2_147_483_647 })]))).toEqual([]);
    expect(withJob({ priority: Number.POSITIVE_INFINITY })).toEqual({
      code: 'INVALID_OPTION',
      path: 'jobs[0].priority',
      kind: 'out_of_range',
      field: 'priority',
      jobId: 'a',
      message: 'priority must be a finite number; got Infinity (number)',
    });
    expect(withJob({ priority: Number.NaN }).message).toContain('got NaN (number)');
    expect(withJob({ priority: '1' }).message).toContain('got "1" (string)');
  });

  it('flags unknown job fields with a did-you-mean', () => {
    expect(withJob({ depends_on: ['b'] })).toEqual({
      code: 'INVALID_OPTION',
      path: 'jobs[0].depends_on',
      kind: 'unknown_field',
      field: 'depends_on',
      suggestion: 'dependsOn',
      jobId: 'a',
      message: 'unknown field "depends_on"; did you mean "dependsOn"?',
    });
    expect(withJob({ timeout: 5 }).message).toBe(
      'unknown field "timeout"; did you mean "timeoutMs"?',
    );
    expect(withJob({ owner: 'me' }).message).toBe(
      'unknown field "owner"; known fields: id, dependsOn, run, input, retry, timeoutMs, priority, verify, onInterrupt, requiresApproval',
    );
  });

  it('reports duplicate ids, naming both places', () => {
    expect(only(plan([job('a'), job('b'), job('a')]))).toEqual({
      code: 'DUPLICATE_ID',
      path: 'jobs[2].id',
      kind: 'duplicate_id',
      field: 'id',
      jobId: 'a',
      message: 'Job id "a" is used by jobs[0] and jobs[2]; rename one, ids must be unique',
    });
  });

  it('reports an unknown dependency with a suggestion', () => {
    expect(only(plan([job('build'), job('test', ['bulid'])]))).toEqual({
      code: 'UNKNOWN_DEPENDENCY',
      path: 'jobs[1].dependsOn[0]',
      kind: 'unknown_dependency',
      field: 'dependsOn',
      suggestion: 'build',
      jobId: 'test',
      message: 'Job "test" depends on unknown job "bulid"; did you mean "build"?',
    });
    expect(only(plan([job('a', ['zzzzzz'])])).message).toBe(
      'Job "a" depends on unknown job "zzzzzz"; add that job or remove the dependency',
    );
  });

  it('does not report a dependency on a job whose own id is bad a second time', () => {
    const issues = findPlanIssues(plan([{ id: 'a b', run }, job('c', ['a b'])]));
    expect(issues.map((i) => i.code)).toEqual(['INVALID_ID']);
  });
});

describe('findPlanIssues: cycles', () => {
  it('reports a 3-cycle with its path, pointing at the first dependency on it', () => {
    expect(only(plan([job('a', ['x', 'c']), job('b', ['a']), job('c', ['b']), job('x')]))).toEqual({
      code: 'CYCLE',
      path: 'jobs[0].dependsOn[1]',
      kind: 'cycle',
      field: 'dependsOn',
      jobId: 'a',
      message: 'cycle: a → c → b → a; remove one of these dependencies',
    });
  });

  it('reports a 2-cycle and a self-loop', () => {
    expect(only(plan([job('a', ['b']), job('b', ['a'])])).message).toBe(
      'cycle: a → b → a; remove one of these dependencies',
    );
    expect(only(plan([job('a', ['a'])]))).toEqual({
      code: 'CYCLE',
      path: 'jobs[0].dependsOn[0]',
      kind: 'cycle',
      field: 'dependsOn',
      jobId: 'a',
      message: 'cycle: a → a; a job cannot depend on itself, remove it from its dependsOn',
    });
  });

  it('reports two separate cycles, each once', () => {
    const issues = findPlanIssues(
      plan([job('a', ['b']), job('b', ['a']), job('ok'), job('c', ['d']), job('d', ['c', 'ok'])]),
    );
    expect(issues.map((i) => [i.path, i.message])).toEqual([
      ['jobs[0].dependsOn[0]', 'cycle: a → b → a; remove one of these dependencies'],
      ['jobs[3].dependsOn[0]', 'cycle: c → d → c; remove one of these dependencies'],
    ]);
  });

  it('ignores edges to unknown jobs when looking for cycles', () => {
    const issues = findPlanIssues(plan([job('a', ['ghost']), job('b', ['a'])]));
    expect(issues.map((i) => i.code)).toEqual(['UNKNOWN_DEPENDENCY']);
  });

  it('shortens the path of a very long cycle', () => {
    const jobs = Array.from({ length: 20 }, (_, i) => job(`j${i}`, [`j${(i + 1) % 20}`]));
    expect(only(plan(jobs)).message).toBe(
      'cycle: j0 → j1 → j2 → j3 → j4 → j5 → (9 more) → j15 → j16 → j17 → j18 → j19 → j0; remove one of these dependencies',
    );
  });
});

describe('findPlanIssues: all at once, safely, at scale', () => {
  it('lists every problem at once', () => {
    const issues = findPlanIssues({
      id: 'p',
      maxParallel: 0,
      jobs: [
        job('a', ['b']),
        job('b', ['a']),
        job('a'),
        { id: 'bad id', run },
        job('c', ['nope']),
        { id: 'd' },
      ],
    });
    expect(issues.map((i) => [i.code, i.path])).toEqual([
      ['INVALID_OPTION', 'maxParallel'],
      ['DUPLICATE_ID', 'jobs[2].id'],
      ['INVALID_ID', 'jobs[3].id'],
      ['INVALID_JOB', 'jobs[5].run'],
      ['UNKNOWN_DEPENDENCY', 'jobs[4].dependsOn[0]'],
      ['CYCLE', 'jobs[0].dependsOn[0]'],
    ]);
    expect(validatePlan({ id: 'p', maxParallel: 0, jobs: [] })).toMatchObject({
      ok: false,
      issues: [{ code: 'INVALID_OPTION' }],
    });
  });

  it('accepts Object.prototype names as ids, and as dependencies', () => {
    const names = ['constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'];
    const tricky = plan(names.map((id, i) => job(id, i > 0 ? [names[i - 1]!] : undefined)));
    expect(findPlanIssues(tricky)).toEqual([]);
    // They are real jobs: a cycle through them and a duplicate are still found.
    expect(
      only(plan([job('constructor', ['toString']), job('toString', ['constructor'])])),
    ).toMatchObject({ code: 'CYCLE', message: expect.stringContaining('constructor → toString') });
    expect(only(plan([job('valueOf'), job('valueOf')])).code).toBe('DUPLICATE_ID');
    // An unknown dependency that happens to be an Object.prototype name is unknown.
    expect(only(plan([job('a', ['toString'])])).code).toBe('UNKNOWN_DEPENDENCY');
    expect(only(plan([job('a', ['__proto__'])])).code).toBe('UNKNOWN_DEPENDENCY');
  });

  it('never touches Object.prototype, whatever the input', () => {
    const before = Object.getOwnPropertyNames(Object.prototype).sort();
    const hostile = JSON.parse(
      '{"id":"p","__proto__":{"polluted":1},"jobs":[{"id":"__proto__","dependsOn":["constructor"]},{"__proto__":{"polluted":1},"id":"constructor","run":1},{"id":"x","retry":{"__proto__":{"polluted":1},"maxAttempts":1}}]}',
    );
    const issues = findPlanIssues(hostile);
    expect(issues.map((i) => i.path)).toEqual([
      '__proto__',
      'jobs[0].id',
      'jobs[0].run',
      'jobs[1].__proto__',
      'jobs[1].run',
      'jobs[2].run',
      'jobs[2].retry.__proto__',
    ]);
    findPlanIssues(plan([job('constructor', ['__proto__', 'hasOwnProperty'])]));
    findAddedJobIssues(definePlan(plan([job('a')])), hostile.jobs[0]);
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('validates a chain of 100,000 jobs without overflowing the stack', () => {
    const jobs = Array.from({ length: 100_000 }, (_, i) =>
      job(`j${i}`, i > 0 ? [`j${i - 1}`] : undefined),
    );
    expect(findPlanIssues(plan(jobs))).toEqual([]);
    jobs[0] = job('j0', ['j99999']);
    expect(only(plan(jobs))).toMatchObject({
      code: 'CYCLE',
      path: 'jobs[0].dependsOn[0]',
      kind: 'cycle',
      field: 'dependsOn',
      message: expect.stringContaining('cycle: j0 → j99999 → j99998'),
    });
  });

  it('stops suggesting once suggestions would make a huge plan slow', () => {
    const jobs = Array.from({ length: 20_000 }, (_, i) => job(`job${i}`, [`jbo${i}`]));
    const issues = findPlanIssues(plan(jobs));
    expect(issues).toHaveLength(20_000);
    expect(issues[0]!.message).toContain('did you mean "job0"?');
    expect(issues.at(-1)!.message).toContain('add that job or remove the dependency');
  });
});

describe('definePlan and createOrchestrator', () => {
  it('return a valid plan unchanged', () => {
    const spec = plan([job('a')]);
    expect(definePlan(spec)).toBe(spec);
  });

  it('throw PlanValidationError with every issue, before anything runs', () => {
    let ran = 0;
    const bad = {
      id: 'p',
      maxParallel: 1.5,
      jobs: [{ id: 'a', run: async () => ran++, dependsOn: ['b'] }],
    };
    for (const create of [() => definePlan(bad), () => createOrchestrator(bad)]) {
      let caught: unknown;
      try {
        create();
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(PlanValidationError);
      const { code, issues, message } = caught as PlanValidationError;
      expect(code).toBe('PLAN_INVALID');
      expect(issues.map((i) => i.code)).toEqual(['INVALID_OPTION', 'UNKNOWN_DEPENDENCY']);
      expect(message).toContain('Plan is invalid (2 problems)');
      expect(message).toContain('maxParallel: maxParallel must be an integer from 1 to 1000000');
    }
    expect(ran).toBe(0);
  });
});

describe('findAddedJobIssues', () => {
  const base = definePlan(plan([job('a'), job('b', ['a']), job('constructor')]));

  it('accepts a new job depending on existing ones', () => {
    expect(findAddedJobIssues(base, job('c', ['a', 'b', 'constructor']))).toEqual([]);
    expect(findAddedJobIssues(base, job('toString', ['constructor']))).toEqual([]);
  });

  it('rejects a duplicate id', () => {
    expect(findAddedJobIssues(base, job('a'))).toEqual([
      {
        code: 'DUPLICATE_ID',
        path: 'job.id',
        kind: 'duplicate_id',
        field: 'id',
        jobId: 'a',
        message: 'Job id "a" is already used in plan "p"; choose another id',
      },
    ]);
  });

  it('rejects an unknown dependency with a suggestion', () => {
    expect(findAddedJobIssues(base, job('c', ['a', 'bb']))).toEqual([
      {
        code: 'UNKNOWN_DEPENDENCY',
        path: 'job.dependsOn[1]',
        kind: 'unknown_dependency',
        field: 'dependsOn',
        suggestion: 'b',
        jobId: 'c',
        message: 'Job "c" depends on unknown job "bb"; did you mean "b"?',
      },
    ]);
  });

  it('reports a dependency on itself as a cycle only', () => {
    expect(findAddedJobIssues(base, job('c', ['a', 'c']))).toEqual([
      {
        code: 'CYCLE',
        path: 'job.dependsOn[1]',
        kind: 'cycle',
        field: 'dependsOn',
        jobId: 'c',
        message: 'cycle: c → c; a job cannot depend on itself, remove it from its dependsOn',
      },
    ]);
  });

  it('checks the job exactly like a plan job', () => {
    const issues = findAddedJobIssues(base, {
      id: 'c',
      run: 'make',
      dependsOn: ['a', 'a'],
      timeoutMs: -1,
      retry: { maxAttempts: 1, factr: 2 },
      priorty: 1,
    });
    expect(issues.map((i) => [i.code, i.path])).toEqual([
      ['INVALID_OPTION', 'job.priorty'],
      ['INVALID_JOB', 'job.run'],
      ['INVALID_JOB', 'job.dependsOn[1]'],
      ['INVALID_OPTION', 'job.timeoutMs'],
      ['INVALID_OPTION', 'job.retry.factr'],
    ]);
    expect(issues[0]!.message).toBe('unknown field "priorty"; did you mean "priority"?');
    expect(findAddedJobIssues(base, { id: '__proto__', run })).toMatchObject([
      { code: 'INVALID_ID', path: 'job.id' },
    ]);
    expect(findAddedJobIssues(base, 'job')).toEqual([
      {
        code: 'INVALID_JOB',
        path: 'job',
        kind: 'wrong_type',
        message:
          'A job must be an object with at least an id and a run function; got "job" (string)',
      },
    ]);
  });
});
