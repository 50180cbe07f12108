import { resolve } from 'node:path';
import { popReady, pushReady, type ReadyQueue } from '../../machines/plan/ready-queue.js';
import { DEFAULT_MAX_PARALLEL, type PlanSpec } from '../plan/types.js';
import { hasExpression } from './expressions.js';
import { count } from './plural.js';
import type { FileRun } from './secret-env.js';

/**
 * `run --dry-run`: the plan checked, the order in which its jobs would start and the command of
 * each, printed; nothing runs and nothing is written.
 *
 * The order is a simulation with the plan's own ready queue (priority, then declaration order)
 * and slots (`maxParallel`), on a clock where every job takes one unit and succeeds at its first
 * attempt: real jobs take their own time, so the real order can differ where durations differ.
 */
export function rehearsal(
  plan: PlanSpec,
  jobRuns: ReadonlyMap<string, FileRun>,
  planDir: string,
): string {
  const slots = plan.maxParallel ?? DEFAULT_MAX_PARALLEL;
  const lines = [
    `dry run of plan "${plan.id}": ${count(plan.jobs.length, 'job')}, at most ${slots} at once; nothing runs`,
    'start order, if every job took one unit of time and succeeded at its first attempt:',
    ...startOrder(plan, slots).map((ids, t) => `  step ${t + 1}: ${ids.join(', ')}`),
    ...notes(plan),
    'commands (expressions as written; they take their values when the job runs):',
  ];
  for (const job of plan.jobs) {
    const run = jobRuns.get(job.id);
    if (!run) continue;
    lines.push(`  ${job.id}: ${commandLine(run)}`);
    if (run.cwd !== undefined) {
      lines.push(`    cwd ${hasExpression(run.cwd) ? run.cwd : resolve(planDir, run.cwd)}`);
    }
    for (const [name, value] of Object.entries(run.env ?? {})) {
      lines.push(
        `    env ${name}=${typeof value === 'string' ? value : `<from $${value.fromEnv}>`}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The ids of the jobs that start at each unit of time. */
function startOrder(plan: PlanSpec, slots: number): string[][] {
  const index = new Map(plan.jobs.map((job, i) => [job.id, i]));
  const waitingOn = plan.jobs.map((job) => job.dependsOn?.length ?? 0);
  const dependents: number[][] = plan.jobs.map(() => []);
  plan.jobs.forEach((job, i) => {
    for (const dep of job.dependsOn ?? []) dependents[index.get(dep)!]!.push(i);
  });
  const ready: ReadyQueue = [];
  const queue = (i: number) => pushReady(ready, plan.jobs[i]!.priority ?? 0, i);
  waitingOn.forEach((n, i) => {
    if (n === 0) queue(i);
  });
  const order: string[][] = [];
  while (ready.length > 0) {
    const started: number[] = [];
    while (started.length < slots && ready.length > 0) started.push(popReady(ready));
    order.push(started.map((i) => plan.jobs[i]!.id));
    // One unit later every job started now has finished: its dependents may be ready.
    for (const i of started) {
      for (const d of dependents[i]!) if (--waitingOn[d]! === 0) queue(d);
    }
  }
  return order;
}

/** What the simulation passes over that a real run would stop or wait for. */
function notes(plan: PlanSpec): string[] {
  const found: string[] = [];
  if (plan.mode === 'copilot' || plan.mode === 'supervisor') {
    found.push(`mode ${plan.mode}: the run first waits for approval at the start checkpoint`);
  }
  const gated = plan.jobs.filter((job) => job.requiresApproval).map((job) => job.id);
  if (gated.length > 0) {
    found.push(`requiresApproval: ${gated.join(', ')} wait at pre_run until approved`);
  }
  if (plan.integration) {
    found.push('integration: each job then integrates, one at a time (not simulated)');
  }
  if (plan.finalize) found.push('finalize runs once every job succeeded');
  return found;
}

/** A command as a person would type it; a word that a shell would split or expand is quoted. */
function commandLine(run: FileRun): string {
  const word = (text: string) => (/^[\w./:=@%+,-]+$/.test(text) ? text : JSON.stringify(text));
  if (run.shell) return `sh -c ${word(run.command)}`;
  return [run.command, ...(run.args ?? [])].map(word).join(' ');
}
