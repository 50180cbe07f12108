import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli } from '../cli/run-cli.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plan-inspect-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const copilotPlan = async () => {
  const file = join(dir, 'copilot.json');
  await writeFile(
    file,
    JSON.stringify({
      id: 'co',
      mode: 'copilot',
      jobs: [{ id: 'a', run: { command: process.execPath, args: ['-e', "console.log('ran')"] } }],
    }),
  );
  return file;
};

describe('plan-orchestrator run --inspect', () => {
  it('prints the inspector address once; the page serves, and a copilot plan is approved through it', async () => {
    const file = await copilotPlan();
    let approval: Promise<unknown> | undefined;
    const result = await cli(['run', file, '--inspect', '--reporter', 'plain'], {
      onStderr: (stderr) => {
        const url = /inspector: (http:\/\/127\.0\.0\.1:\d+)\/#token=([\w-]+)/.exec(stderr);
        if (!url || approval) return;
        const [, origin, token] = url;
        approval = (async () => {
          expect((await fetch(`${origin}/`)).status).toBe(200);
          const answer = await fetch(`${origin}/api/command`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({ type: 'APPROVE', checkpoint: 'start' }),
          });
          return answer.json();
        })();
      },
    });
    expect(await approval).toEqual({ accepted: true });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('a | ran');
    expect(result.stderr.match(/inspector: /g)).toHaveLength(1);
  });

  it('refuses a host other hosts can reach unless --inspect-allow-remote is given', async () => {
    const file = await copilotPlan();
    const result = await cli(['run', file, '--inspect', '--inspect-host', '0.0.0.0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'error INSPECTOR_REMOTE Inspector host "0.0.0.0" is not loopback',
    );
  });
});
