/**
 * A release pipeline you can watch: eight jobs with dependencies, three at a time, one flaky
 * job that succeeds on its second attempt. Each job's transitions are printed as they happen,
 * then a summary. Run it with `npm start`.
 */
import { createOrchestrator, definePlan, type JobRunContext } from '../src/index.js';

/** Simulated work: waits `ms`, or stops early when the job's signal is aborted. */
function work(ms: number) {
  return ({ signal }: JobRunContext) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => resolve(`done in ${ms} ms`), ms);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(signal.reason);
      });
    });
}

let flakyCalls = 0;
const plan = definePlan({
  id: 'release',
  maxParallel: 3,
  onJobFailure: 'continue',
  jobs: [
    { id: 'checkout', run: work(300) },
    { id: 'lint', dependsOn: ['checkout'], run: work(500) },
    { id: 'unit-tests', dependsOn: ['checkout'], run: work(900), priority: 1 },
    {
      id: 'integration-tests',
      dependsOn: ['checkout'],
      retry: { maxAttempts: 3, initialDelayMs: 400 },
      run: async (ctx) => {
        flakyCalls++;
        if (flakyCalls === 1) throw new Error('database container not ready');
        return work(700)(ctx);
      },
    },
    { id: 'build', dependsOn: ['lint', 'unit-tests'], run: work(600) },
    { id: 'docs', dependsOn: ['checkout'], run: work(400) },
    { id: 'package', dependsOn: ['build', 'integration-tests'], run: work(500) },
    { id: 'publish', dependsOn: ['package', 'docs'], run: work(300) },
  ],
});

const orchestrator = createOrchestrator(plan);
const t0 = Date.now();
const clock = () => `${String(Date.now() - t0).padStart(5)} ms`;

orchestrator.events$.subscribe((record) => {
  switch (record.type) {
    case 'attempt-started':
      return console.log(`${clock()}  ▶ ${record.jobId} (attempt ${record.attempt})`);
    case 'attempt-failed':
      return console.log(
        `${clock()}  ↻ ${record.jobId}: ${record.error.message}; retrying in ${record.retryInMs} ms`,
      );
    case 'job-succeeded':
      return console.log(`${clock()}  ✔ ${record.jobId}`);
    case 'job-failed':
      return console.log(`${clock()}  ✖ ${record.jobId}: ${record.error.message}`);
    case 'job-blocked':
      return console.log(`${clock()}  ⊘ ${record.jobId} blocked by ${record.by}`);
  }
});

orchestrator.start();
const view = await orchestrator.whenSettled();
console.log(`\nPlan "${view.planId}" ${view.status}.`);
for (const job of view.jobs) {
  const took =
    job.startedAt !== undefined && job.endedAt !== undefined
      ? `${job.endedAt - job.startedAt} ms`
      : '-';
  console.log(
    `  ${job.id.padEnd(18)} ${job.status.padEnd(10)} attempts ${job.attempt}  last attempt ${took}`,
  );
}
process.exitCode = view.status === 'completed' ? 0 : 1;
