import type { IntegrationSpec, JobRun, JobSpec, PlanSpec } from '../plan/types.js';

/** A job of a test plan: `run` is optional; without it, the test settles each attempt by hand. */
export type TestJobSpec = Omit<JobSpec, 'run'> & { run?: JobRun };

/** A hook given as `'manual'`: each call waits until the test settles it (see `hookCall`). */
export type Manual<F> = F | 'manual';
/** The plan hooks a test may settle by hand. */
export type HookName = 'integrate' | 'check' | 'rollback' | 'finalize';

/** A test plan's hooks may be `'manual'`: each call then waits for the test to settle it. */
export type TestPlanSpec = Omit<PlanSpec, 'jobs' | 'integration' | 'finalize'> & {
  jobs: readonly TestJobSpec[];
  integration?: Omit<IntegrationSpec, 'integrate' | 'check' | 'rollback'> & {
    integrate: Manual<IntegrationSpec['integrate']>;
    check?: Manual<NonNullable<IntegrationSpec['check']>>;
    rollback?: Manual<NonNullable<IntegrationSpec['rollback']>>;
  };
  finalize?: Manual<NonNullable<PlanSpec['finalize']>>;
};
