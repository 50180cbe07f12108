import { execFile } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importRefusingOtel } from '../support/import-refusing-otel.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
let bin: string;

beforeAll(async () => {
  // `npm run build`: the compiler, then the inspector page's files beside the built server.
  await run('npm', ['run', 'build'], { cwd: root });
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

  it('serves the inspector page from the built files', async () => {
    let origin = '';
    const served = new Promise<number[]>((resolve, reject) => {
      const child = execFile(process.execPath, [
        bin,
        'run',
        join(root, 'examples', 'release.yaml'),
        '--mode',
        'copilot',
        '--inspect',
      ]);
      child.stderr!.on('data', async (chunk: Buffer) => {
        const match = /inspector: (http:\/\/[\d.:]+)\//.exec(String(chunk));
        if (!match || origin) return;
        origin = match[1]!;
        try {
          const paths = ['/', '/app.js', '/style.css', '/vendor/dagre.min.js'];
          resolve(
            await Promise.all(paths.map(async (path) => (await fetch(origin + path)).status)),
          );
        } catch (error) {
          reject(error);
        } finally {
          child.kill('SIGINT');
        }
      });
    });
    expect(await served).toEqual([200, 200, 200, 200]);
  });

  it('shows help for each command', async () => {
    const { stdout } = await run(process.execPath, [bin, 'run', '--help']);
    expect(stdout).toContain('--state-dir <dir>');
    expect(stdout).toContain('--reporter <kind>');
  });
});

describe('the built package entries', () => {
  it('load by package name, and only plan-orchestrator/otel loads OpenTelemetry', async () => {
    const main = await importRefusingOtel('plan-orchestrator');
    expect(main.loaded && main.exports).toContain('createOrchestrator');
    const testing = await importRefusingOtel('plan-orchestrator/testing');
    expect(testing.loaded && testing.exports).toContain('createTestOrchestrator');
    const otel = await importRefusingOtel('plan-orchestrator/otel');
    expect(!otel.loaded && otel.error).toContain('OpenTelemetry loaded: @opentelemetry/api');
  });
});
