import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const root = join(import.meta.dirname, '..');
const sharedModules = join(root, 'node_modules');
const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));

let work: string;
let app: string;
let tarball: string;

/**
 * What `npm install <tarball>` does, without the network: the package unpacked into
 * node_modules, its bin linked and made executable, its dependencies (from this project's
 * install, linked, never written to) beside it.
 */
async function installInto(folder: string, file: string) {
  const modules = join(folder, 'node_modules');
  const unpacked = join(modules, 'plan-orchestrator');
  await mkdir(unpacked, { recursive: true });
  await exec('tar', ['xzf', file, '-C', unpacked, '--strip-components=1']);
  for (const dependency of Object.keys(manifest.dependencies)) {
    await mkdir(dirname(join(modules, dependency)), { recursive: true });
    await symlink(join(sharedModules, dependency), join(modules, dependency));
  }
  await mkdir(join(modules, '.bin'));
  const bin = manifest.bin['plan-orchestrator'];
  await chmod(join(unpacked, bin), 0o755);
  await symlink(join('..', 'plan-orchestrator', bin), join(modules, '.bin', 'plan-orchestrator'));
  await writeFile(
    join(folder, 'package.json'),
    JSON.stringify({
      name: 'app',
      private: true,
      dependencies: { 'plan-orchestrator': manifest.version },
    }),
  );
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'plan-pack-'));
  // A fresh clone: the project's files as git sees them (no dist), with the shared install.
  const clone = join(work, 'clone');
  const { stdout } = await exec(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    {
      cwd: root,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  for (const path of stdout.split('\0').filter(Boolean)) {
    await cp(join(root, path), join(clone, path), { recursive: true }).catch((error) => {
      // A file deleted in the work tree but still in the index is not part of the clone.
      if (error.code !== 'ENOENT') throw error;
    });
  }
  await symlink(sharedModules, join(clone, 'node_modules'));
  const packed = await exec('npm', ['pack', '--json', '--pack-destination', work], {
    cwd: clone,
    maxBuffer: 16 * 1024 * 1024,
  });
  tarball = join(work, JSON.parse(packed.stdout)[0].filename);
  app = join(work, 'app');
  await installInto(app, tarball);
}, 300_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('npm pack of a fresh clone', () => {
  it('builds the package, with its LICENSE and no source maps of files it does not ship', async () => {
    const { stdout } = await exec('tar', ['tzf', tarball]);
    const files = stdout.trim().split('\n');
    expect(files).toContain('package/LICENSE');
    expect(files).toContain('package/dist/src/cli/main.js');
    expect(files).toContain('package/dist/src/inspector/index.js');
    expect(files).toContain('package/dist/src/inspector/page/app.js');
    expect(files.filter((file) => file.endsWith('.map'))).toEqual([]);
    const main = await readFile(
      join(app, 'node_modules/plan-orchestrator/dist/src/cli/main.js'),
      'utf8',
    );
    expect(main).not.toContain('sourceMappingURL');
    expect(await readFile(join(app, 'node_modules/plan-orchestrator/LICENSE'), 'utf8')).toContain(
      'Copyright (c) 2026 plan-orchestrator contributors',
    );
  });

  it('installs as a command: npx plan-orchestrator --version, and a tiny plan runs', async () => {
    const version = await exec('npx', ['--no-install', 'plan-orchestrator', '--version'], {
      cwd: app,
    });
    expect(version.stdout).toBe(`${manifest.version}\n`);
    await writeFile(
      join(app, 'plan.yaml'),
      'id: tiny\njobs:\n  - id: hello\n    run: { command: echo, args: [hi] }\n  - id: after\n    dependsOn: [hello]\n    run: { command: "true" }\n',
    );
    const validated = await exec(
      'npx',
      ['--no-install', 'plan-orchestrator', 'validate', 'plan.yaml'],
      {
        cwd: app,
      },
    );
    expect(validated.stdout).toBe('plan.yaml: valid plan "tiny" with 2 jobs\n');
    const ran = await exec(
      'npx',
      ['--no-install', 'plan-orchestrator', 'run', 'plan.yaml', '--reporter', 'plain'],
      { cwd: app },
    );
    expect(ran.stdout).toContain('hello | hi');
    expect(ran.stdout).toContain('Plan "tiny" completed: 2 succeeded');
  });

  it('loads neither ws nor the inspector from the main entry; plan-orchestrator/inspector has it', async () => {
    const loaded = await exec(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { createRequire } from 'node:module';
const inspectorModules = () => Object.keys(createRequire(import.meta.url).cache).filter((path) => /node_modules[\\\\/]ws[\\\\/]/.test(path));
const main = await import('plan-orchestrator');
const before = inspectorModules().length;
const inspector = await import('plan-orchestrator/inspector');
console.log(JSON.stringify({ createOrchestrator: typeof main.createOrchestrator, startInspectorInMain: typeof main.startInspector, before, startInspector: typeof inspector.startInspector, after: inspectorModules().length > 0 }));`,
      ],
      { cwd: app },
    );
    expect(JSON.parse(loaded.stdout)).toEqual({
      createOrchestrator: 'function',
      startInspectorInMain: 'undefined',
      before: 0,
      startInspector: 'function',
      after: true,
    });
  });
});
