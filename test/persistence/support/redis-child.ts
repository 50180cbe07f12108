/**
 * A plan kept in Redis, run by a child process of the Redis fault tests:
 * `run|resume <redisUrl> <planId> <markerDir> <leaseMs>`. Every attempt appends its attempt id
 * to `<markerDir>/<job>.runs` when it starts and to `<job>.done` when it ends, and prints
 * `started <attemptId>`; the end is `settled <status>`, or `stopped <code>` when the plan stopped
 * with an error.
 */
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createOrchestrator,
  type JobRunContext,
  type PlanSpec,
  RedisStore,
  resumeOrchestrator,
} from '../../../src/index.js';

const [mode, url, planId, markerDir, leaseMs] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];

const work = async ({ jobId, attemptId }: JobRunContext) => {
  await appendFile(join(markerDir, `${jobId}.runs`), `${attemptId}\n`);
  process.stdout.write(`started ${attemptId}\n`);
  // Real work that takes a little while, so that kills and stops land while jobs run.
  for (let i = 0; i < 40 + ((jobId.charCodeAt(0) * 7) % 40); i++) {
    await appendFile(join(markerDir, `${jobId}.work`), `${attemptId} ${i}\n`);
  }
  await appendFile(join(markerDir, `${jobId}.done`), `${attemptId}\n`);
  return `${jobId} done`;
};

const plan: PlanSpec = {
  id: planId,
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

const store = new RedisStore({ connection: url, planId, leaseMs: Number(leaseMs) });
try {
  if (mode === 'resume') {
    const orchestrator = await resumeOrchestrator(plan, store);
    orchestrator.start();
    process.stdout.write(`settled ${(await orchestrator.whenSettled()).status}\n`);
  } else {
    await store.acquire();
    const orchestrator = createOrchestrator(plan, { store });
    orchestrator.start();
    process.stdout.write(`settled ${(await orchestrator.whenSettled()).status}\n`);
  }
} catch (error) {
  process.stdout.write(
    `stopped ${(error as { code?: string }).code} ${(error as Error).message}\n`,
  );
} finally {
  await store.close();
}
