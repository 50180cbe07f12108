import { suggest } from '../plan/suggest.js';
import type { JobSpec, PlanSpec } from '../plan/types.js';
import { OPEN } from './expressions.js';
import { UsageError } from './redis-options.js';
import type { FileRun } from './secret-env.js';

/**
 * `--only <job…>`: those jobs and everything they depend on. `--from <job>`: that job and every
 * job that depends on it, transitively; the jobs it depends on count as done and do not run.
 */
export interface Selection {
  only?: readonly string[];
  from?: string;
}

export const selects = (selection: Selection): boolean =>
  (selection.only?.length ?? 0) > 0 || selection.from !== undefined;

/** A reference to a dependency's output: `${{ needs.<job>.outputs.<key> }}`. */
const NEEDS_OUTPUT = /\$\{\{\s*needs\.(.+?)\.outputs\./g;

/**
 * The plan cut to the selected jobs. A job of `--from` that reads an output of a job this run
 * does not run is refused (the output exists nowhere); `finalize`, which stands for the whole
 * plan, is left out of a subset.
 */
export function selectJobs(
  plan: PlanSpec,
  jobRuns: ReadonlyMap<string, FileRun>,
  selection: Selection,
): PlanSpec {
  if (!selects(selection)) return plan;
  if (selection.only?.length && selection.from !== undefined) {
    throw new UsageError('give --only or --from, not both');
  }
  const byId = new Map(plan.jobs.map((job) => [job.id, job]));
  const named = selection.from !== undefined ? [selection.from] : [...(selection.only ?? [])];
  const flag = selection.from !== undefined ? '--from' : '--only';
  for (const id of named) {
    if (byId.has(id)) continue;
    const near = suggest(id, byId.keys());
    throw new UsageError(
      `${flag}: there is no job "${id}" in plan "${plan.id}"; ${near ? `did you mean "${near}"?` : 'plan-orchestrator graph <file> lists the jobs'}`,
    );
  }
  const chosen =
    selection.from !== undefined ? dependentsOf(plan.jobs, selection.from) : closure(named, byId);
  const jobs = plan.jobs
    .filter((job) => chosen.has(job.id))
    .map(
      (job): JobSpec => ({ ...job, dependsOn: (job.dependsOn ?? []).filter((d) => chosen.has(d)) }),
    );
  if (selection.from !== undefined) refuseMissingOutputs(jobs, jobRuns, chosen, selection.from);
  const { finalize: _whole, ...rest } = plan;
  return { ...rest, jobs };
}

/** `ids` and every job they depend on, transitively. */
function closure(ids: readonly string[], byId: ReadonlyMap<string, JobSpec>): Set<string> {
  const chosen = new Set<string>();
  const stack = [...ids];
  for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
    if (chosen.has(id)) continue;
    chosen.add(id);
    stack.push(...(byId.get(id)?.dependsOn ?? []));
  }
  return chosen;
}

/** `start` and every job that depends on it, transitively. */
function dependentsOf(jobs: readonly JobSpec[], start: string): Set<string> {
  const dependents = new Map<string, string[]>();
  for (const job of jobs) {
    for (const dep of job.dependsOn ?? []) {
      const list = dependents.get(dep);
      if (list) list.push(job.id);
      else dependents.set(dep, [job.id]);
    }
  }
  const chosen = new Set<string>();
  const stack = [start];
  for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
    if (chosen.has(id)) continue;
    chosen.add(id);
    stack.push(...(dependents.get(id) ?? []));
  }
  return chosen;
}

function refuseMissingOutputs(
  jobs: readonly JobSpec[],
  jobRuns: ReadonlyMap<string, FileRun>,
  chosen: ReadonlySet<string>,
  from: string,
): void {
  for (const job of jobs) {
    const run = jobRuns.get(job.id);
    if (!run) continue;
    const texts = [...(run.args ?? []), run.cwd ?? '', ...Object.values(run.env ?? {})];
    for (const text of texts) {
      if (typeof text !== 'string' || !text.includes(OPEN)) continue;
      for (const [, source] of text.matchAll(NEEDS_OUTPUT)) {
        if (source === undefined || chosen.has(source)) continue;
        throw new UsageError(
          `--from ${from}: job "${job.id}" reads an output of job "${source}" (${text.trim()}), which this run does not run, so that output has no value; use --only ${job.id} (which runs "${source}" too), or --from ${source}`,
        );
      }
    }
  }
}
