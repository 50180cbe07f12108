/**
 * A plan run in a child process by the SIGKILL test of facts recorded while paused.
 * `run <stateDir> <markerDir>`: job `broken` fails at once (the plan pauses at on_error) and job
 * `slow` succeeds once the plan is paused; every record type is printed as it is recorded.
 * `resume <stateDir> <markerDir>`: resumes, skips `broken`, and prints how the plan settled.
 * Each attempt of `slow` appends its attempt id to `<markerDir>/slow.runs`.
 */
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createOrchestrator,
  FileStore,
  type JobRunContext,
  type PlanSpec,
  resumeOrchestrator,
} from '../../../src/index.js';

const [mode, stateDir, markerDir] = process.argv.slice(2) as [string, string, string];

let paused!: () => void;
const pausedOnce = new Promise<void>((resolve) => {
  paused = resolve;
});

const plan: PlanSpec = {
  id: 'paused-kill',
  maxParallel: 2,
  onJobFailure: 'pause',
  jobs: [
    {
      id: 'broken',
      run: async () => {
        throw new Error('exit 1');
      },
    },
    {
      id: 'slow',
      run: async ({ attemptId }: JobRunContext) => {
        await appendFile(join(markerDir, 'slow.runs'), `${attemptId}\n`);
        if (mode === 'run') await pausedOnce;
        return 'slow done';
      },
    },
    { id: 'after', dependsOn: ['slow'], run: async () => 'after done' },
  ],
};

const store = new FileStore(stateDir);
const orchestrator =
  mode === 'resume' ? await resumeOrchestrator(plan, store) : createOrchestrator(plan, { store });
orchestrator.events$.subscribe((record) => {
  process.stdout.write(`${record.type} ${'jobId' in record ? record.jobId : ''}\n`);
  if (record.type === 'plan-paused') paused();
});
orchestrator.start();
// A paused plan waits for a person; the process stays, as a command steering it would.
if (mode === 'run') setInterval(() => {}, 60_000);
if (mode === 'resume') {
  orchestrator.send({ type: 'SKIP_JOB', jobId: 'broken' });
  const view = await orchestrator.whenSettled();
  process.stdout.write(`settled ${view.status}\n`);
}
