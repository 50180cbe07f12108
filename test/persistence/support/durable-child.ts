/**
 * A plan run in a child process by the SIGKILL test: `run <stateDir> <markerDir>` starts it,
 * `resume <stateDir> <markerDir>` resumes it. Every attempt appends its attempt id to
 * `<markerDir>/<job>.runs` when it starts and to `<job>.done` when it ends, and prints
 * `started <attemptId>` so the test knows when to kill the process.
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

const work = async ({ jobId, attemptId }: JobRunContext) => {
  await appendFile(join(markerDir, `${jobId}.runs`), `${attemptId}\n`);
  process.stdout.write(`started ${attemptId}\n`);
  // Real work that takes a little while, so that kills land while jobs run.
  for (let i = 0; i < 40 + ((jobId.charCodeAt(0) * 7) % 40); i++) {
    await appendFile(join(markerDir, `${jobId}.work`), `${attemptId} ${i}\n`);
  }
  await appendFile(join(markerDir, `${jobId}.done`), `${attemptId}\n`);
  return `${jobId} done`;
};

export const plan: PlanSpec = {
  id: 'sigkill',
  maxParallel: 3,
  jobs: [
    { id: 'a', run: work },
    { id: 'b', run: work },
    { id: 'c', dependsOn: ['a'], run: work },
    { id: 'd', dependsOn: ['a', 'b'], run: work },
    { id: 'e', dependsOn: ['c'], run: work },
    { id: 'f', dependsOn: ['d'], run: work },
    { id: 'g', dependsOn: ['e', 'f'], run: work },
    { id: 'h', run: work },
  ],
};

const store = new FileStore(stateDir);
const orchestrator =
  mode === 'resume' ? await resumeOrchestrator(plan, store) : createOrchestrator(plan, { store });
orchestrator.start();
const view = await orchestrator.whenSettled();
process.stdout.write(`settled ${view.status}\n`);
