import { tap } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { plainReporter, prettyReporter } from '../../src/cli/reporters.js';
import { drive } from '../../src/cli/run-plan.js';
import { createOrchestrator, type Orchestrator } from '../../src/runtime/orchestrator.js';
import type { PlanView } from '../../src/runtime/view.js';

/** Runs `jobs` independent no-op jobs through the command's `drive`, counting the job views built. */
async function jobViewsBuilt(jobs: number, reporterKind: 'plain' | 'pretty') {
  const orchestrator = createOrchestrator({
    id: 'wide',
    maxParallel: 8,
    jobs: Array.from({ length: jobs }, (_, i) => ({ id: `job-${i}`, run: async () => i })),
  });
  let built = 0;
  const count = (view: PlanView) => {
    built += view.jobs.length;
  };
  const counted: Orchestrator = {
    ...orchestrator,
    getView: () => {
      const view = orchestrator.getView();
      count(view);
      return view;
    },
    view$: orchestrator.view$.pipe(tap(count)),
  };
  // The pretty view draws whenever its timer fires: here once every 100 records.
  const timers: Array<() => void> = [];
  let records = 0;
  let frames = 0;
  const pretty = prettyReporter(() => {}, Date.now, {
    setTimer: (callback) => timers.push(callback),
    clearTimer: () => {},
  });
  const reporter =
    reporterKind === 'plain'
      ? plainReporter(() => {}, Date.now)
      : {
          ...pretty,
          record: (record: Parameters<typeof pretty.record>[0]) => {
            pretty.record(record);
            if (++records % 100 !== 0) return;
            for (const fire of timers.splice(0)) {
              frames++;
              fire();
            }
          },
        };
  const code = await drive(counted, reporter, null);
  expect(code).toBe(0);
  return { built, frames };
}

describe('the command line’s cost per job', () => {
  it('builds no view of the plan per change with the plain reporter, however large the plan', async () => {
    expect((await jobViewsBuilt(100, 'plain')).built).toBe(0);
    expect((await jobViewsBuilt(3000, 'plain')).built).toBe(0);
  });

  it('builds the view once per frame the live view draws, not once per change', async () => {
    for (const jobs of [100, 3000]) {
      const { built, frames } = await jobViewsBuilt(jobs, 'pretty');
      expect(frames).toBeGreaterThan(0);
      expect(built).toBe(frames * jobs);
    }
  });
});
