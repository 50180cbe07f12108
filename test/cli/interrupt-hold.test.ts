import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli } from './run-cli.js';

let dir: string;
const pids: number[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plan-hold-'));
});
afterEach(async () => {
  // The job's process, should the job launcher not have stopped it after the SIGKILL.
  for (const pid of pids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  await rm(dir, { recursive: true, force: true });
});

describe('a YAML job with onInterrupt: hold, after the command was killed with SIGKILL', () => {
  it('is not started again by resume: it waits at on_error (interrupted), status says so, and approve accepts it', async () => {
    const runs = join(dir, 'deploy.runs');
    const file = join(dir, 'release.yaml');
    const deploy = `require('fs').appendFileSync(${JSON.stringify(runs)}, process.pid + '\\n'); console.log('deploying'); setInterval(() => {}, 1000)`;
    await writeFile(
      file,
      [
        'id: release',
        'jobs:',
        '  - id: deploy',
        '    onInterrupt: hold',
        `    run: { command: ${JSON.stringify(process.execPath)}, args: ["-e", ${JSON.stringify(deploy)}] }`,
        '  - id: announce',
        '    dependsOn: [deploy]',
        `    run: { command: ${JSON.stringify(process.execPath)}, args: ["-e", "console.log('announced')"] }`,
        '',
      ].join('\n'),
    );
    const stateDir = join(dir, 'state');
    const first = await cli(['run', file, '--state-dir', stateDir, '--reporter', 'plain'], {
      onLine: (line, child) => {
        if (line.includes('deploy | deploying')) child.kill('SIGKILL');
      },
    });
    expect(first.code).toBeNull(); // killed
    const [pid] = (await readFile(runs, 'utf8')).trim().split('\n').map(Number);
    pids.push(pid!);

    let status = '';
    let approve: Promise<unknown> = Promise.resolve();
    const resumed = await cli(['resume', stateDir, '--reporter', 'plain'], {
      onLine: (line) => {
        if (!line.includes('plan paused at on_error')) return;
        approve = (async () => {
          status = (await cli(['status', stateDir])).stdout;
          await cli(['approve', '--state-dir', stateDir]);
        })();
      },
    });
    await approve;
    expect(status.split('\n')[0]).toMatch(
      /^Plan "release": paused at on_error: job "deploy" failed \(interrupted: attempt deploy#1 was running when the process stopped/,
    );
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('announce | announced');
    expect(resumed.stdout).not.toContain('deploy | deploying');
    expect((await readFile(runs, 'utf8')).trim().split('\n')).toHaveLength(1);
  }, 30_000);
});
