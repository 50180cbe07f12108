import { describe, expect, it } from 'vitest';
import { node, planFile } from '../cli/jobs.js';
import { cli } from '../cli/run-cli.js';
import { queueFixture } from './queue-fixture.js';

const t = queueFixture();

describe('run --queue: attempts run on worker processes', () => {
  it('spreads jobs over two workers, reports their output lines, and the plan completes', async () => {
    const { result, workers } = await t.runOnTwoWorkers('builds', 'spread', [
      { id: 'c', dependsOn: ['a', 'b'], run: node("console.log('c done')") },
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/a \| ready/);
    expect(result.stdout).toMatch(/c \| c done/);
    const started = workers.map((worker) => worker.lines.filter((l) => l.startsWith('started')));
    expect(started.flat().sort()).toEqual([
      'started spread a#1',
      'started spread b#1',
      'started spread c#1',
    ]);
  });

  it('says no worker serves the queue while jobs wait there, until a worker starts and runs them', async () => {
    const file = await planFile(t.dir, 'plan.json', {
      id: 'late-worker',
      jobs: [{ id: 'only', run: node("console.log('ran')") }],
    });
    let noWorker!: () => void;
    const told = new Promise<void>((resolve) => {
      noWorker = resolve;
    });
    const result = cli(
      ['run', file, '--redis', t.server.url, '--queue', 'later', '--reporter', 'plain'],
      {
        onStderr: (stderr) => {
          if (stderr.includes('no worker on queue later seen for 5 s\n')) noWorker();
        },
      },
    );
    await told;
    const worker = await t.worker('later', 'late');
    const ended = await result;
    expect(ended.code).toBe(0);
    expect(ended.stdout).toMatch(/only \| ran/);
    expect(await worker.line(/^started late-worker/)).toBe('started late-worker only#1');
  });

  it('passes outputs from one remote job to the next and keeps secrets redacted in what comes back', async () => {
    await t.worker('secrets', 'w1');
    const writeOutputs = [
      "const { appendFileSync } = require('fs');",
      "appendFileSync(process.env.PLAN_OUTPUT, 'version=1.2.3\\ntoken=' + process.env.TOKEN + '\\n');",
      "console.log('token is ' + process.env.TOKEN);",
    ].join(' ');
    const file = await planFile(t.dir, 'plan.json', {
      id: 'remote-outputs',
      jobs: [
        {
          id: 'make',
          run: { ...node(writeOutputs), env: { TOKEN: { fromEnv: 'REMOTE_TOKEN' } } },
        },
        {
          id: 'use',
          dependsOn: ['make'],
          run: {
            command: process.execPath,
            args: ['-e', 'console.log(process.argv[1])', `got \${{ needs.make.outputs.version }}`],
          },
        },
      ],
    });
    const result = await cli(
      ['run', file, '--redis', t.server.url, '--queue', 'secrets', '--reporter', 'jsonl'],
      { env: { ...process.env, REMOTE_TOKEN: 's3cr3t-value' } },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('token is ***');
    expect(result.stdout).toContain('got 1.2.3');
    expect(result.stdout).toContain('"token":"***"');
    expect(result.stdout).not.toContain('s3cr3t-value');
  });
});
