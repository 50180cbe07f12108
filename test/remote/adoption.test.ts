import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planKeys } from '../../src/persistence/redis-keys.js';
import { planFile } from '../cli/jobs.js';
import { cli } from '../cli/run-cli.js';
import { keyGone } from '../support/redis-keyspace.js';
import { queueFixture, runUntil } from './queue-fixture.js';

const t = queueFixture();

/** Runs a one-job plan on the queue and SIGKILLs its coordinator once the job runs on the worker. */
async function coordinatorDiesMidJob(planId: string) {
  const worker = await t.worker('q', 'w1');
  const file = await planFile(t.dir, 'plan.json', {
    id: planId,
    jobs: [{ id: 'slow', run: t.waitsForGo('run') }],
  });
  const args = ['run', file, '--redis', t.server.url, '--queue', 'q', '--lease-ms', '1000'];
  const run = cli([...args, '--reporter', 'plain'], {
    onLine: (line, child) => {
      if (line.includes('slow | ready')) child.kill('SIGKILL');
    },
  });
  expect((await run).code).toBeNull();
  await keyGone(t.server.url, planKeys(planId).lease);
  return worker;
}

const resumeArgs = (planId: string) => [
  'resume',
  '--redis',
  t.server.url,
  '--plan',
  planId,
  '--reporter',
  'jsonl',
];

const recordsOf = (stdout: string) =>
  stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { type: string; attemptId?: string });
const typesOf = (stdout: string) => recordsOf(stdout).map((record) => record.type);

describe('a coordinator that restarts adopts the attempts BullMQ still has', () => {
  it('an attempt still running on a worker is waited for, not run again: the job runs once', async () => {
    await coordinatorDiesMidJob('adopt-running');
    const { result, seen } = runUntil(resumeArgs('adopt-running'), '"plan-restored"');
    await seen;
    await writeFile(t.go, '');
    const ended = await result;
    expect(ended.code).toBe(0);
    expect(await readFile(join(t.dir, 'runs.log'), 'utf8')).toBe('run\n');
    expect(typesOf(ended.stdout)).not.toContain('attempt-interrupted');
    expect(recordsOf(ended.stdout)).toContainEqual(
      expect.objectContaining({ type: 'job-succeeded', attemptId: 'slow#1' }),
    );
  });

  it('an attempt that finished while no coordinator ran is read back, not run again', async () => {
    const worker = await coordinatorDiesMidJob('adopt-finished');
    await writeFile(t.go, '');
    await worker.line(/^completed adopt-finished slow#1$/);
    const ended = await cli(resumeArgs('adopt-finished'));
    expect(ended.code).toBe(0);
    expect(await readFile(join(t.dir, 'runs.log'), 'utf8')).toBe('run\n');
    expect(typesOf(ended.stdout)).not.toContain('attempt-interrupted');
  });
});
