import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readmeYaml } from './readme-blocks.js';
import { cli } from './run-cli.js';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plan-approval-'));
  file = join(dir, 'plan.yaml');
  // The README's example.
  await writeFile(file, await readmeYaml('gated-deploy'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('requiresApproval in a plan file', () => {
  it('holds the job at pre_run until approve --job names it; then it runs', async () => {
    const stateDir = join(dir, 'state');
    let steering = Promise.resolve();
    const result = await cli(['run', file, '--state-dir', stateDir, '--reporter', 'plain'], {
      onLine: (line) => {
        if (!line.includes('plan paused at pre_run (job "deploy")')) return;
        steering = (async () => {
          const wrong = await cli(['approve', '--job', 'build', '--state-dir', stateDir]);
          expect(wrong.stderr).toBe(
            'APPROVE rejected: Job "build" is not awaiting approval at pre_run (status: succeeded); APPROVE rejected\n',
          );
          const right = await cli(['approve', '--job', 'deploy', '--state-dir', stateDir]);
          expect(right.stdout).toBe('APPROVE accepted\n');
        })();
      },
    });
    await steering;
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    const paused = lines.findIndex((l) => l.includes('plan paused at pre_run (job "deploy")'));
    const deployed = lines.findIndex((l) => l.includes('deploy | deployed'));
    expect(paused).toBeGreaterThan(lines.findIndex((l) => l.includes('build: succeeded')));
    expect(deployed).toBeGreaterThan(paused);
  });

  it('stays held through a crash (SIGKILL) and a resume until approved; it never started before', async () => {
    const stateDir = join(dir, 'state');
    const first = await cli(['run', file, '--state-dir', stateDir, '--reporter', 'plain'], {
      onLine: (line, child) => {
        if (line.includes('plan paused at pre_run')) child.kill('SIGKILL');
      },
    });
    expect(first.code).toBe(null);
    const status = await cli(['status', stateDir]);
    // What reached the disk before the kill: deploy had not started.
    expect(status.stdout).toMatch(/\n {2}deploy +(waiting|queued) *\n/);
    let approved = Promise.resolve();
    const resumed = await cli(['resume', stateDir, '--reporter', 'plain'], {
      onLine: (line) => {
        if (line.includes('plan paused at pre_run (job "deploy")')) {
          approved = cli(['approve', '--job', 'deploy', '--state-dir', stateDir]).then((r) => {
            expect(r.stdout).toBe('APPROVE accepted\n');
          });
        }
      },
    });
    await approved;
    expect(resumed.code).toBe(0);
    const lines = resumed.stdout.split('\n');
    const paused = lines.findIndex((l) => l.includes('plan paused at pre_run (job "deploy")'));
    expect(paused).toBeGreaterThan(-1);
    expect(lines.findIndex((l) => l.includes('deploy: started'))).toBeGreaterThan(paused);
    expect(lines.filter((l) => l.includes('deploy | deployed'))).toHaveLength(1);
  });

  it('ends stranded (exit 4) when nothing in the run can approve it, and the job never runs', async () => {
    const result = await cli(['run', file, '--reporter', 'plain']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain(
      'stranded: plan "gated-deploy" is paused at pre_run (job "deploy" requires approval to start)',
    );
    expect(result.stdout).not.toContain('deploy: started');
  });
});
