import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { planFile } from '../cli/jobs.js';
import { cli } from '../cli/run-cli.js';
import { queueFixture } from './queue-fixture.js';

const t = queueFixture();

describe('which worker runs each job', () => {
  it('the plain reporter and status name the worker that ran each job', async () => {
    const workers = [await t.worker('named', 'w1'), await t.worker('named', 'w2')];
    const file = await planFile(t.dir, 'plan.json', {
      id: 'named',
      maxParallel: 2,
      jobs: [
        { id: 'a', run: t.waitsForGo('a') },
        { id: 'b', run: t.waitsForGo('b') },
      ],
    });
    const run = cli([
      'run',
      file,
      '--redis',
      t.server.url,
      '--queue',
      'named',
      '--reporter',
      'plain',
    ]);
    // One attempt at a time on each worker: both waiting at once means one runs on each.
    const started = await Promise.all(
      workers.map((worker) => worker.line(/^started named [ab]#1$/)),
    );
    await writeFile(t.go, '');
    const result = await run;
    expect(result.code).toBe(0);
    const ranOn = (job: string) => (started[0] === `started named ${job}#1` ? 'w1' : 'w2');
    expect(result.stdout).toContain(`a: on worker ${ranOn('a')}\n`);
    expect(result.stdout).toContain(`b: on worker ${ranOn('b')}\n`);

    const status = await cli(['status', '--redis', t.server.url, '--plan', 'named']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`\\n  a +succeeded +attempt 1 +on ${ranOn('a')}\\n`));
    expect(status.stdout).toMatch(new RegExp(`\\n  b +succeeded +attempt 1 +on ${ranOn('b')}\\n`));
    const json = await cli(['status', '--redis', t.server.url, '--plan', 'named', '--json']);
    const jobs = (JSON.parse(json.stdout) as { jobs: { id: string; worker?: string }[] }).jobs;
    expect(jobs.map((job) => [job.id, job.worker])).toEqual([
      ['a', ranOn('a')],
      ['b', ranOn('b')],
    ]);
  });
});
