import { describe, expect, it } from 'vitest';
import { createOrchestrator, definePlan, PlanValidationError, validatePlan } from '../src/index.js';
import { findAddedJobIssues, findPlanIssues } from '../src/plan/validate.js';

const run = async () => 1;
const job = (id: string, dependsOn?: string[]) => ({
  id,
  run,
  ...(dependsOn ? { dependsOn } : {}),
});
const plan = (jobs: unknown[], extra: Record<string, unknown> = {}) => ({
  id: 'p',
  jobs,
  ...extra,
});
const only = (spec: unknown) => {
  const issues = findPlanIssues(spec);
  expect(issues).toHaveLength(1);
  return issues[0]!;
};

describe('validatePlan', () => {
  it('accepts a valid plan, an empty plan, and ids that are Object.prototype names', () => {
    expect(validatePlan(plan([job('a'), job('b', ['a'])]))).toMatchObject({ ok: true });
    expect(findPlanIssues(plan([]))).toEqual([]);
    const tricky = plan([
      job('constructor'),
      job('toString', ['constructor']),
      job('valueOf', ['toString']),
      job('hasOwnProperty'),
    ]);
    expect(findPlanIssues(tricky)).toEqual([]);
  });

  it('reports a cycle with its path', () => {
    expect(only(plan([job('a', ['c']), job('b', ['a']), job('c', ['b'])]))).toMatchObject({
      code: 'CYCLE',
      message: 'cycle: a → c → b → a; remove one of these dependencies',
    });
    expect(only(plan([job('a', ['b']), job('b', ['a'])])).message).toContain('a → b → a');
    expect(only(plan([job('a', ['a'])]))).toMatchObject({
      code: 'CYCLE',
      path: 'jobs[0].dependsOn',
      jobId: 'a',
    });
    const two = findPlanIssues(
      plan([job('a', ['b']), job('b', ['a']), job('c', ['d']), job('d', ['c'])]),
    );
    expect(two.map((i) => i.message)).toEqual([
      'cycle: a → b → a; remove one of these dependencies',
      'cycle: c → d → c; remove one of these dependencies',
    ]);
  });

  it('reports an unknown dependency with a suggestion', () => {
    expect(only(plan([job('build'), job('test', ['bulid'])]))).toEqual({
      code: 'UNKNOWN_DEPENDENCY',
      path: 'jobs[1].dependsOn[0]',
      jobId: 'test',
      message: 'Job "test" depends on unknown job "bulid"; did you mean "build"?',
    });
    expect(only(plan([job('a', ['zzzzzz'])])).message).toBe(
      'Job "a" depends on unknown job "zzzzzz"; add that job or remove the dependency',
    );
  });

  it('reports duplicate ids, naming both places', () => {
    expect(only(plan([job('a'), job('b'), job('a')]))).toEqual({
      code: 'DUPLICATE_ID',
      path: 'jobs[2].id',
      jobId: 'a',
      message: 'Job id "a" is used by jobs[0] and jobs[2]; ids must be unique',
    });
  });

  it('rejects ids outside the grammar, __proto__ included', () => {
    for (const id of ['__proto__', '', 'has space', '-lead', 'x'.repeat(81), 7]) {
      expect(only(plan([{ id, run }])).code).toBe('INVALID_ID');
    }
    expect(only(plan([{ id: 'a b', run }])).message).toBe(
      'A job id must be a letter or digit, then up to 79 letters, digits, ".", "_" or "-"; got "a b" (string)',
    );
    expect(only({ id: '__proto__', jobs: [] }).path).toBe('id');
  });

  it('echoes a bad maxParallel with its type', () => {
    const messages = [0, Number.NaN, 1.5, '4', -1, 2_000_000].map(
      (maxParallel) => only(plan([job('a')], { maxParallel })).message,
    );
    expect(messages).toEqual([
      'maxParallel must be an integer from 1 to 1000000; got 0 (number)',
      'maxParallel must be an integer from 1 to 1000000; got NaN (number)',
      'maxParallel must be an integer from 1 to 1000000; got 1.5 (number)',
      'maxParallel must be an integer from 1 to 1000000; got "4" (string)',
      'maxParallel must be an integer from 1 to 1000000; got -1 (number)',
      'maxParallel must be an integer from 1 to 1000000; got 2000000 (number)',
    ]);
  });

  it('checks retry, timeout and priority ranges', () => {
    const issues = findPlanIssues(
      plan([
        {
          id: 'a',
          run,
          retry: {
            maxAttempts: 0,
            initialDelayMs: -5,
            factor: 0.5,
            maxDelayMs: 10,
            jitter: 2,
            tries: 3,
          },
          timeoutMs: 0,
          priority: Number.POSITIVE_INFINITY,
        },
      ]),
    );
    expect(issues.map((i) => [i.path, i.message])).toEqual([
      ['jobs[0].timeoutMs', 'timeoutMs must be an integer from 1 to 2147483647; got 0 (number)'],
      ['jobs[0].priority', 'priority must be a finite number; got Infinity (number)'],
      [
        'jobs[0].retry.tries',
        'unknown field "tries"; known fields: maxAttempts, initialDelayMs, factor, maxDelayMs, jitter',
      ],
      [
        'jobs[0].retry.maxAttempts',
        'maxAttempts must be an integer from 1 to 1000; got 0 (number)',
      ],
      [
        'jobs[0].retry.initialDelayMs',
        'initialDelayMs must be an integer from 0 to 86400000; got -5 (number)',
      ],
      ['jobs[0].retry.factor', 'factor must be a number from 1 to 100; got 0.5 (number)'],
      ['jobs[0].retry.jitter', 'jitter must be a number from 0 to 1; got 2 (number)'],
    ]);
    expect(
      only(
        plan([{ id: 'a', run, retry: { maxAttempts: 2, initialDelayMs: 500, maxDelayMs: 100 } }]),
      ).message,
    ).toBe('maxDelayMs must be an integer from 500 to 86400000; got 100 (number)');
  });

  it('flags unknown fields with a did-you-mean, a missing run, and bad shapes', () => {
    expect(only(plan([{ id: 'a', run, depends_on: ['b'] }])).message).toBe(
      'unknown field "depends_on"; did you mean "dependsOn"?',
    );
    expect(only(plan([{ id: 'a' }])).message).toBe('Job "a" needs run, a function; got undefined');
    expect(only(plan([{ id: 'a', run, dependsOn: 'b' }])).message).toBe(
      'Job "a": dependsOn must be an array of job ids; got "b" (string)',
    );
    expect(only(plan([job('a'), job('b', ['a', 'a'])])).message).toBe(
      'Job "b" lists dependency "a" twice; remove one',
    );
    expect(only(null).code).toBe('INVALID_PLAN');
    expect(only({ id: 'p', jobs: {} }).message).toBe(
      'jobs must be an array of jobs; got an object',
    );
    expect(only(plan([job('a')], { mode: 'pilot' })).message).toBe(
      'mode must be one of "autopilot", "copilot", "supervisor"; got "pilot" (string)',
    );
  });

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
    expect(issues.map((i) => i.code).sort()).toEqual(
      [
        'CYCLE',
        'DUPLICATE_ID',
        'INVALID_ID',
        'INVALID_JOB',
        'INVALID_OPTION',
        'UNKNOWN_DEPENDENCY',
      ].sort(),
    );
  });

  it('never touches Object.prototype, whatever the input', () => {
    const before = Object.getOwnPropertyNames(Object.prototype).sort();
    findPlanIssues(
      JSON.parse(
        '{"id":"p","jobs":[{"id":"__proto__","dependsOn":["constructor"]},{"__proto__":{"polluted":1}}]}',
      ),
    );
    findPlanIssues(plan([job('constructor', ['__proto__'])]));
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('validates a chain of 100,000 jobs without overflowing the stack', () => {
    const jobs = Array.from({ length: 100_000 }, (_, i) =>
      job(`j${i}`, i > 0 ? [`j${i - 1}`] : undefined),
    );
    expect(findPlanIssues(plan(jobs))).toEqual([]);
    jobs[0] = job('j0', ['j99999']);
    expect(only(plan(jobs)).code).toBe('CYCLE');
  });
});

describe('definePlan and createOrchestrator', () => {
  it('throw PlanValidationError with every issue, before anything runs', () => {
    let ran = 0;
    const bad = {
      id: 'p',
      maxParallel: 1.5,
      jobs: [{ id: 'a', run: async () => ran++, dependsOn: ['b'] }],
    };
    expect(() => definePlan(bad)).toThrow(PlanValidationError);
    try {
      createOrchestrator(bad);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(PlanValidationError);
      const { code, issues, message } = error as PlanValidationError;
      expect(code).toBe('PLAN_INVALID');
      expect(issues.map((i) => i.code)).toEqual(['INVALID_OPTION', 'UNKNOWN_DEPENDENCY']);
      expect(message).toContain('Plan is invalid (2 problems)');
    }
    expect(ran).toBe(0);
  });
});

describe('findAddedJobIssues', () => {
  const base = definePlan({ id: 'p', jobs: [job('a'), job('b', ['a'])] });
  it('accepts a new job depending on existing ones', () => {
    expect(findAddedJobIssues(base, job('c', ['a', 'b']))).toEqual([]);
  });
  it('rejects a duplicate id, an unknown dependency, a self-dependency and bad options', () => {
    expect(findAddedJobIssues(base, job('a')).map((i) => i.code)).toEqual(['DUPLICATE_ID']);
    expect(findAddedJobIssues(base, job('c', ['bb']))[0]?.message).toBe(
      'Job "c" depends on unknown job "bb"; did you mean "b"?',
    );
    expect(findAddedJobIssues(base, job('c', ['c']))[0]).toMatchObject({
      code: 'CYCLE',
      path: 'job.dependsOn',
    });
    expect(findAddedJobIssues(base, { id: 'c', run, timeoutMs: -1 })[0]?.path).toBe(
      'job.timeoutMs',
    );
  });
});
