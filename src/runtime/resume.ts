import { JournalFold } from '../persistence/journal-fold.js';
import { restorePlan } from '../persistence/restore.js';
import type { Store } from '../persistence/store.js';
import type { PlanSpec } from '../plan/types.js';
import { findPlanIssues } from '../plan/validate.js';
import { systemClock } from '../shared/clock.js';
import {
  PlanFinishedError,
  PlanValidationError,
  RestoreError,
  ResumeJobsMissingError,
} from '../shared/errors.js';
import { checkOrchestratorOptions } from './options.js';
import { type Orchestrator, type OrchestratorOptions, runOrchestrator } from './orchestrator.js';

/**
 * Resumes a plan from its store after the process stopped, however it stopped. `plan` supplies
 * the functions again (jobs, including any added while it ran, and hooks); the plan's structure
 * and everything that happened come from the journal.
 *
 * Guarantees: a job that succeeded is never run again; an attempt that was running is recorded as
 * `interrupted` and the job runs again as its next attempt, with a new `attemptId` (at least once:
 * use `attemptId` as the idempotency key of side effects), unless its `onInterrupt` is `hold`:
 * then it waits at `on_error` (kind `interrupted`) for RETRY_JOB, SKIP_JOB or APPROVE; a retry delay keeps its deadline; an
 * integration under way is rolled back and done again, never twice; checkpoints and approvals
 * hold as they were.
 *
 * The store is acquired first (`Store.acquire`): a plan that another process (or orchestrator)
 * holds is refused with a `StateLockedError` naming the owner, before anything is read. The
 * store is relinquished again when resuming fails, and once the resumed plan has settled.
 */
export interface ResumeOptions extends Omit<OrchestratorOptions, 'store'> {
  /**
   * Given the attempt ids that were running when the plan stopped, answers those still under way
   * or finished elsewhere (a queue's workers: `AttemptQueue.adoptable`). Those are adopted: their
   * job waits for the same attempt's outcome instead of running again. Default: none.
   */
  adopt?: (attemptIds: readonly string[]) => Promise<ReadonlySet<string>>;
}

export async function resumeOrchestrator(
  plan: PlanSpec,
  store: Store,
  options: ResumeOptions = {},
): Promise<Orchestrator> {
  checkOrchestratorOptions(options);
  const issues = findPlanIssues(plan);
  if (issues.length > 0) throw new PlanValidationError(issues);
  await store.acquire();
  let orchestrator: Orchestrator;
  try {
    orchestrator = await resumeOwned(plan, store, options);
  } catch (error) {
    await store.relinquish();
    throw error;
  }
  const relinquish = () => store.relinquish();
  orchestrator.whenSettled().then(relinquish, relinquish);
  return orchestrator;
}

async function resumeOwned(
  plan: PlanSpec,
  store: Store,
  options: ResumeOptions,
): Promise<Orchestrator> {
  const stored = await store.load();
  const where = (store as { path?: string }).path ?? 'the store';
  if (stored.header.planId !== plan.id) {
    throw new RestoreError(
      where,
      1,
      `the journal is of plan "${stored.header.planId}", not "${plan.id}"`,
    );
  }
  const clock = options.clock ?? systemClock;
  const fold = JournalFold.of(stored);
  const restored = restorePlan(fold, clock.now(), await adoptedOf(fold, options.adopt));
  if (restored.finished) {
    throw new PlanFinishedError(plan.id, restored.finished);
  }
  const given = new Set(plan.jobs.map((job) => job.id));
  const missing = restored.context.order.filter((id) => !given.has(id));
  if (missing.length > 0) {
    throw new ResumeJobsMissingError(plan.id, missing);
  }
  const input = { ...stored.header.input, writeAhead: true, restored: restored.context };
  const resumption = {
    records: restored.records,
    lastSeq: restored.lastSeq,
    warnings: stored.warnings,
    fold: restored.fold,
    journaled: stored.records,
  };
  return runOrchestrator(plan, input, { ...options, store }, resumption);
}

/** The attempts that were running when the plan stopped and that `adopt` says go on elsewhere. */
async function adoptedOf(
  fold: JournalFold,
  adopt: ResumeOptions['adopt'],
): Promise<ReadonlySet<string>> {
  if (!adopt) return new Set();
  const { context } = fold.state;
  const running = context.order
    .map((id) => context.jobs[id]!)
    .filter((job) => job.status === 'running' && job.attemptId !== null)
    .map((job) => job.attemptId!);
  return running.length === 0 ? new Set() : adopt(running);
}
