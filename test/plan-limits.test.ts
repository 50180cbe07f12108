import { describe, expect, it } from 'vitest';
import {
  createOrchestrator,
  MemoryStore,
  OrchestratorOptionError,
  PlanValidationError,
  resumeOrchestrator,
  validatePlan,
} from '../src/index.js';
import { PLAN_LIMITS } from '../src/plan/limits.js';
import { findPlanIssues } from '../src/plan/validate.js';

const run = async () => 1;
const jobs = (n: number, dependsOn?: (i: number) => string[]) =>
  Array.from({ length: n }, (_, i) => ({
    id: `j${i}`,
    run,
    ...(dependsOn ? { dependsOn: dependsOn(i) } : {}),
  }));

describe('the number of jobs', () => {
  it('over the limit is one issue with the limit and the count, found without checking each job', () => {
    const plan = { id: 'p', jobs: jobs(PLAN_LIMITS.jobs + 1) };
    // A mistake in every job would be thousands of issues if the jobs were checked.
    for (const job of plan.jobs) (job as { id: string }).id = '';
    expect(findPlanIssues(plan)).toEqual([
      {
        code: 'PLAN_TOO_LARGE',
        path: 'jobs',
        kind: 'too_large',
        field: 'jobs',
        message:
          'the number of jobs is 100,001; the limit is 100,000: split the plan into plans that run one after another',
      },
    ]);
    expect(() => createOrchestrator(plan)).toThrow(PlanValidationError);
  });

  it('close to the limit is valid, with a warning', () => {
    const result = validatePlan({ id: 'p', jobs: jobs(PLAN_LIMITS.jobs - 1) });
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([
      {
        code: 'PLAN_NEAR_LIMIT',
        path: 'jobs',
        kind: 'near_limit',
        field: 'jobs',
        message: 'the number of jobs is 99,999, close to the limit of 100,000',
      },
    ]);
    expect(validatePlan({ id: 'p', jobs: jobs(10) }).warnings).toEqual([]);
  });
});

describe('the number of dependsOn entries', () => {
  it('over the limit is one issue with the limit and the count', () => {
    const many = Array.from({ length: PLAN_LIMITS.edges / 2 + 1 }, (_, i) => `x${i}`);
    const plan = { id: 'p', jobs: [...jobs(2, () => many)] };
    expect(findPlanIssues(plan)).toEqual([
      {
        code: 'PLAN_TOO_LARGE',
        path: 'jobs',
        kind: 'too_large',
        field: 'jobs',
        message:
          'the number of dependsOn entries is 1,000,002; the limit is 1,000,000: split the plan into plans that run one after another',
      },
    ]);
  });

  it('close to the limit gives a warning', () => {
    // 1,000 jobs, each depending on the 800 before it (wrapping around to stay within the plan).
    const plan = {
      id: 'p',
      jobs: jobs(1000, (i) => Array.from({ length: 800 }, (_, k) => `j${(i + 1 + k) % 1000}`)),
    };
    const { warnings } = validatePlan(plan);
    expect(warnings).toEqual([
      {
        code: 'PLAN_NEAR_LIMIT',
        path: 'jobs',
        kind: 'near_limit',
        field: 'jobs',
        message: 'the number of dependsOn entries is 800,000, close to the limit of 1,000,000',
      },
    ]);
  });
});

describe('the snapshotEvery option', () => {
  const plan = { id: 'p', jobs: jobs(1) };

  it.each([0, Number.NaN, 1.5, -1, 1_000_000_001, '10'])(
    'refuses %s when the orchestrator is created, before anything is stored',
    (snapshotEvery) => {
      const store = new MemoryStore();
      let thrown: unknown;
      try {
        createOrchestrator(plan, { store, snapshotEvery: snapshotEvery as number });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(OrchestratorOptionError);
      expect(thrown).toMatchObject({
        code: 'ORCHESTRATOR_OPTION',
        option: 'snapshotEvery',
        message: expect.stringMatching(
          /^Orchestrator option snapshotEvery \(records between snapshots\) must be an integer from 1 to 1,000,000,000, or left out for the default; got .+ \((number|string)\)$/,
        ),
      });
      expect(store.header).toBeNull();
    },
  );

  it('accepts 1 and 1,000,000,000', async () => {
    for (const snapshotEvery of [1, 1_000_000_000]) {
      const orchestrator = createOrchestrator(plan, { store: new MemoryStore(), snapshotEvery });
      expect((await orchestrator.start().whenSettled()).status).toBe('completed');
    }
  });

  it('is checked when a plan is resumed too', async () => {
    const store = new MemoryStore();
    createOrchestrator({ ...plan, mode: 'copilot' }, { store }).start();
    await expect(resumeOrchestrator(plan, store, { snapshotEvery: 0 })).rejects.toThrow(
      /snapshotEvery .* got 0 \(number\)/,
    );
  });
});
