import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStore, readJournal } from '../../src/index.js';
import { createTestOrchestrator, resumeTestOrchestrator } from '../../src/testing/index.js';
import { cli } from '../cli/run-cli.js';

/**
 * A real full file system: a tmpfs of 320 KB, mostly taken by a filler file (once it is gone,
 * the CLI's plan needs about 240 KB: its journal, plan file and options, and its job's logs).
 * Mounting needs root (CI runs as root); elsewhere these tests are skipped, saying why.
 */
const isRoot = process.getuid?.() === 0;
const TMPFS_BYTES = 320 * 1024;
const FREE_BYTES = 64 * 1024;
let mount: string;

beforeEach(async () => {
  if (!isRoot) return;
  mount = await mkdtemp(join(tmpdir(), 'full-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_BYTES},mode=0700`, 'tmpfs', mount]);
});
afterEach(async () => {
  if (!isRoot) return;
  await writeFile(join(mount, 'go'), '').catch(() => {});
  execFileSync('umount', ['--lazy', mount]);
  await rmdir(mount);
});

/** Takes all but `FREE_BYTES` of the file system; deleting it gives the space back. */
async function fill(name: string): Promise<string> {
  const filler = join(mount, name);
  await writeFile(filler, Buffer.alloc(TMPFS_BYTES - FREE_BYTES, 1));
  return filler;
}

async function expectWholeLines(path: string) {
  const text = await readFile(path, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.slice(0, -1).split('\n')) expect(() => JSON.parse(line)).not.toThrow();
}

const plan = {
  id: 'full-disk',
  maxParallel: 2,
  jobs: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((id) => ({ id })),
};

describe.skipIf(!isRoot)(
  'a journal on a file system that fills up (tmpfs; mounting needs root)',
  () => {
    it('pauses at persistence naming the path and ENOSPC with whole records on disk; once space is back RESUME finishes the plan, and a restart reads it', async () => {
      const filler = await fill('filler-library');
      const state = join(mount, 'library');
      const store = new FileStore(state);
      const kit = createTestOrchestrator(plan, { store });
      await kit.start();
      let paused = false;
      for (let step = 0; step < 200 && kit.view().status !== 'completed'; step++) {
        await store.flush().catch(() => {});
        await kit.flush();
        const view = kit.view();
        if (view.status === 'paused' && view.checkpoint?.name === 'persistence') {
          expect(paused).toBe(false);
          paused = true;
          expect(view.checkpoint.error.message).toBe(
            `Could not write plan state to ${store.path}: ENOSPC: no space left on device, write`,
          );
          await expectWholeLines(store.path);
          // A restart at this moment restores every whole record.
          const stored = await new FileStore(state).load();
          expect(stored.warnings).toEqual([]);
          expect(stored.records.length).toBeGreaterThan(8);
          await rm(filler);
          expect(kit.send({ type: 'RESUME' })).toEqual({ accepted: true });
          continue;
        }
        // Outputs big enough to fill the disk within the plan.
        for (const attempt of kit.pending()) attempt.resolve('x'.repeat(12_000) + attempt.jobId);
      }
      expect(paused).toBe(true);
      expect(kit.view().status).toBe('completed');
      await store.flush();
      await store.relinquish();

      const journal = await readJournal(store.path);
      expect(journal.warnings).toEqual([]);
      expect(journal.records.at(-1)?.type).toBe('plan-completed');
      const succeeded = journal.records.filter((r) => r.type === 'job-succeeded');
      expect(succeeded.map((r) => ('jobId' in r ? r.jobId : '')).sort()).toEqual(
        plan.jobs.map((job) => job.id),
      );
      await expect(resumeTestOrchestrator(plan, new FileStore(state))).rejects.toMatchObject({
        code: 'PLAN_FINISHED',
      });
      const status = await cli(['status', state]);
      expect(status.code).toBe(0);
      expect(status.stdout).toContain('Plan "full-disk": completed');
    });

    it('through the CLI: run --state-dir pauses at persistence on a full disk, Ctrl-C leaves a journal of whole records, and resume finishes once space is back', async () => {
      const filler = await fill('filler-cli');
      const state = join(mount, 'cli');
      const file = join(mount, 'plan.json');
      // About 130 KB of records: one progress record per output line.
      const code =
        "for (let i = 0; i < 1000; i++) console.log('line ' + String(i).padStart(4, '0') + ' ' + 'y'.repeat(50))";
      await writeFile(
        file,
        JSON.stringify({
          id: 'cli-full-disk',
          jobs: [
            { id: 'talk', run: { command: process.execPath, args: ['-e', code] } },
            { id: 'after', dependsOn: ['talk'], run: { command: 'true' } },
          ],
        }),
      );
      // The job's log is kept at its smallest, so that the file system's space goes to the journal.
      const first = await cli(
        ['run', file, '--state-dir', state, '--reporter', 'plain', '--log-max-bytes', '1024'],
        {
          onLine: (line, child) => {
            if (line.includes('plan paused at persistence')) child.kill('SIGINT');
          },
        },
      );
      expect(first.code).toBe(130);
      expect(first.stdout).toContain('plan paused at persistence');
      await expectWholeLines(join(state, 'journal.jsonl'));
      const status = await cli(['status', state]);
      expect(status.code).toBe(0);
      expect(status.stderr).toBe('');

      await rm(filler);
      const resumed = await cli(['resume', state, '--reporter', 'plain']);
      expect(resumed.code).toBe(0);
      expect(resumed.stdout).toContain('talk | line 0999');
      expect(resumed.stdout).toContain('plan completed');
      const journal = await readJournal(join(state, 'journal.jsonl'));
      expect(journal.warnings).toEqual([]);
      expect(journal.records.at(-1)?.type).toBe('plan-completed');
    });
  },
);
