import { execFile } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
let bin: string;

beforeAll(async () => {
  await run(process.execPath, [
    join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
    '-p',
    join(root, 'tsconfig.build.json'),
  ]);
  // As npm installs it: a symlink in node_modules/.bin to the built entry.
  bin = join(await mkdtemp(join(tmpdir(), 'plan-bin-')), 'plan-orchestrator');
  await symlink(join(root, 'dist', 'src', 'cli', 'main.js'), bin);
}, 120_000);

afterAll(async () => {
  await rm(join(bin, '..'), { recursive: true, force: true });
});

describe('the built command', () => {
  it('runs the main example through the installed symlink', async () => {
    const { stdout } = await run(process.execPath, [
      bin,
      'run',
      join(root, 'examples', 'release.yaml'),
      '--reporter',
      'plain',
    ]);
    expect(stdout).toContain('Plan "release" completed: 7 succeeded');
  });

  it('shows help for each command', async () => {
    const { stdout } = await run(process.execPath, [bin, 'run', '--help']);
    expect(stdout).toContain('--state-dir <dir>');
    expect(stdout).toContain('--reporter <kind>');
  });
});
