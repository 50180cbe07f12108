/**
 * A merge train you can watch, in supervisor mode. Four jobs each write a file into a folder of
 * their own; `integrate` copies a job's file into a shared folder, one job at a time; `check`
 * verifies the shared folder and a failed check is rolled back. The supervisor here is this
 * script: it approves every checkpoint it meets. Run it with `npm run example:merge-train`.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOrchestrator, definePlan, type JobRunContext } from '../src/index.js';

const root = await mkdtemp(join(tmpdir(), 'merge-train-'));
const shared = join(root, 'shared');
await mkdir(shared);

/** A job's work: write `<name>.txt` into the job's own folder (one text per attempt). */
const writeModule =
  (name: string, ...texts: string[]) =>
  async ({ jobId, attempt }: JobRunContext) => {
    const folder = join(root, 'work', jobId);
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, `${name}.txt`), texts[Math.min(attempt, texts.length) - 1]!);
    return { file: `${name}.txt`, folder };
  };

type Output = { file: string; folder: string };

const plan = definePlan({
  id: 'merge-train',
  mode: 'supervisor',
  maxParallel: 2,
  integration: {
    order: 'completion',
    async integrate({ output }) {
      const { file, folder } = output as Output;
      const target = join(shared, file);
      const text = await readFile(join(folder, file), 'utf8');
      const existing = await readFile(target, 'utf8').catch(() => undefined);
      if (existing === text) return { changed: false }; // nothing to integrate
      if (existing !== undefined) throw new Error(`${file} already exists with other content`);
      await writeFile(target, text);
      return { changed: true };
    },
    // The shared folder must never hold an empty module.
    async check() {
      for (const file of await readdir(shared)) {
        if ((await readFile(join(shared, file), 'utf8')).trim() === '') return false;
      }
      return true;
    },
    async rollback({ output }) {
      await rm(join(shared, (output as Output).file), { force: true });
    },
  },
  async finalize(summary) {
    const lines = summary.jobs.map((job) => `${job.id}: ${job.status}`);
    await writeFile(join(root, 'SUMMARY.txt'), `${lines.join('\n')}\n`);
    return join(root, 'SUMMARY.txt');
  },
  jobs: [
    { id: 'parser', run: writeModule('parser', 'export const parse = (s) => s.split(",");\n') },
    { id: 'lexer', run: writeModule('lexer', 'export const lex = (s) => [...s];\n') },
    {
      id: 'printer',
      dependsOn: ['parser'],
      run: writeModule('printer', 'export const print = String;\n'),
    },
    // The first attempt writes an empty file: the check fails, and the integration is rolled back.
    { id: 'docs', dependsOn: ['parser', 'lexer'], run: writeModule('README', '', '# Modules\n') },
  ],
});

const orchestrator = createOrchestrator(plan);
orchestrator.events$.subscribe((record) => {
  switch (record.type) {
    case 'attempt-started':
      return console.log(`▶ ${record.jobId} runs`);
    case 'job-ran':
      return console.log(`✔ ${record.jobId} ran; awaiting integration`);
    case 'integration-started':
      return console.log(`⇢ ${record.jobId} integrating`);
    case 'job-integrated':
      return console.log(`✔ ${record.jobId} integrated${record.changed ? '' : ' (nothing to do)'}`);
    case 'job-failed':
      return console.log(`✖ ${record.jobId}: ${record.kind}: ${record.error.message}`);
    case 'plan-paused': {
      const { checkpoint } = record;
      // Decide outside the plan's own step, as a person or another program would.
      if (checkpoint.name === 'on_error' && 'jobId' in checkpoint) {
        console.log(`⏸ ${checkpoint.jobId} failed: the supervisor has it run again`);
        queueMicrotask(() =>
          orchestrator.send({ type: 'RETRY_JOB', jobId: checkpoint.jobId, from: 'run' }),
        );
        return;
      }
      if (checkpoint.name === 'user' || checkpoint.name === 'persistence') return;
      const about = 'jobId' in checkpoint ? ` for ${checkpoint.jobId}` : '';
      console.log(`⏸ checkpoint ${checkpoint.name}${about}: the supervisor approves`);
      queueMicrotask(() => orchestrator.send({ type: 'APPROVE', checkpoint: checkpoint.name }));
      return;
    }
    case 'finalize-succeeded':
      return console.log(`★ finalize wrote ${String(record.output)}`);
  }
});

orchestrator.start();
const view = await orchestrator.whenSettled();
console.log(
  `\nPlan "${view.planId}" ${view.status}. Shared folder: ${(await readdir(shared)).sort().join(', ')}`,
);
await rm(root, { recursive: true, force: true });
process.exitCode = view.status === 'completed' ? 0 : 1;
