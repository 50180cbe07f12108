import { describe, expect, it } from 'vitest';
import { node, planFile } from '../cli/jobs.js';
import { cli } from '../cli/run-cli.js';
import { queueFixture } from './queue-fixture.js';

const t = queueFixture();

describe('which worker runs each job', () => {
  it('the plain reporter and status name the worker that ran each job', async () => {
    const { result, first } = await t.runOnTwoWorkers('named', 'named');
    expect(result.code).toBe(0);
    const ranOn = (job: string) => (first[0] === `started named ${job}#1` ? 'w1' : 'w2');
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

describe('a queue nobody serves', () => {
  it('status and the view say no worker seen', async () => {
    const file = await planFile(t.dir, 'plan.json', {
      id: 'unserved',
      jobs: [{ id: 'only', run: node("console.log('ran')") }],
    });
    const result = await cli(
      ['run', file, '--redis', t.server.url, '--queue', 'idle', '--reporter', 'plain'],
      {
        onLine: (line, child) => {
          if (line.endsWith('only: queued, no worker on queue idle seen for 5 s')) {
            child.kill('SIGTERM');
          }
        },
      },
    );
    expect(result.stdout).toMatch(/only: queued, no worker on queue idle seen for 5 s\n/);
    expect(result.stderr).toContain('no worker on queue idle seen for 5 s\n');

    const status = await cli(['status', '--redis', t.server.url, '--plan', 'unserved']);
    expect(status.stdout).toMatch(
      /\n {2}only +queued +attempt 1 +no worker on queue idle seen for 5 s\n/,
    );
    const json = await cli(['status', '--redis', t.server.url, '--plan', 'unserved', '--json']);
    expect(JSON.parse(json.stdout).jobs).toEqual([
      {
        id: 'only',
        status: 'running',
        attempt: 1,
        waiting: 'no worker on queue idle seen for 5 s',
      },
    ]);
  });
});
