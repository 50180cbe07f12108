import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Writes a plan file of `jobs` independent `true` commands into `dir`, and answers its path. */
export async function writeTruePlan(dir: string, jobs: number, maxParallel: number) {
  const file = join(dir, 'plan.json');
  const plan = {
    id: 'wide',
    maxParallel,
    jobs: Array.from({ length: jobs }, (_, i) => ({ id: `job-${i}`, run: { command: 'true' } })),
  };
  await writeFile(file, JSON.stringify(plan));
  return file;
}
