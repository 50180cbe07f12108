import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readJournal } from '../../src/index.js';
import { fileHolds } from '../support/file-holds.js';
import { type CliResult, cli } from './run-cli.js';

let dir: string;
let stateDir: string;
let go: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plan-state-folder-'));
  stateDir = join(dir, 'state');
  go = join(dir, 'go');
});
afterEach(async () => {
  await writeFile(go, ''); // lets any job process still waiting end
  await rm(dir, { recursive: true, force: true });
});

/** A plan whose job prints `waiting`, waits until the file `go` appears, then prints `went`. */
async function waitingPlan(): Promise<string> {
  const file = join(dir, 'plan.json');
  const code = `const fs = require('fs'); console.log('waiting'); const t = setInterval(() => { if (fs.existsSync(${JSON.stringify(go)})) { clearInterval(t); console.log('went') } }, 20)`;
  await writeFile(
    file,
    JSON.stringify({
      id: 'owned',
      jobs: [{ id: 'wait', run: { command: process.execPath, args: ['-e', code] } }],
    }),
  );
  return file;
}

const snapshotOf = async (names: string[]) =>
  Object.fromEntries(
    await Promise.all(
      names.map(async (name) => {
        const path = join(stateDir, name);
        const info = await stat(path);
        const text = info.isSocket() ? null : await readFile(path, 'utf8');
        return [name, { text, mtime: info.mtimeMs, ino: info.ino }];
      }),
    ),
  );

describe('one owner per state folder', () => {
  it('refuses a second resume and a second run of a live plan with exit 5, naming the owner; the first is undisturbed and finishes', async () => {
    const file = await waitingPlan();
    let contenders: Promise<[CliResult, CliResult, unknown, unknown]> | null = null;
    const first = cli(['run', file, '--state-dir', stateDir, '--reporter', 'plain'], {
      onLine: (line, child) => {
        // The job runs: its attempt-started record is durable (write-ahead).
        if (!line.includes('wait | waiting') || contenders) return;
        contenders = (async () => {
          try {
            // Every record of the job's start and first line is written (promptly, in any state).
            await fileHolds(join(stateDir, 'journal.jsonl'), '"line":"waiting"');
            const files = [
              'plan.source',
              'plan.meta.json',
              'journal.jsonl',
              'owner.lock',
              'control.token',
              'control.sock',
            ];
            const before = await snapshotOf(files);
            const resumed = await cli(['resume', stateDir, '--reporter', 'plain']);
            const ran = await cli(['run', file, '--state-dir', stateDir, '--reporter', 'plain']);
            const after = await snapshotOf(files);
            return [resumed, ran, before, after] as [CliResult, CliResult, unknown, unknown];
          } finally {
            await writeFile(go, '');
          }
        })();
        expect(child.pid).toBeGreaterThan(0);
      },
    });
    const result = await first;
    const [resumed, ran, before, after] = await contenders!;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('wait | went');

    expect(resumed.code).toBe(5);
    expect(resumed.stderr).toMatch(
      new RegExp(
        `^error STATE_LOCKED State folder ${stateDir} is in use by process \\d+ on this host \\(owner since [0-9T:.Z-]+\\); wait for that process to end or stop it; if it is gone, delete ${join(stateDir, 'owner.lock')}\\n$`,
      ),
    );
    expect(ran.code).toBe(5);
    expect(ran.stderr).toContain(
      `error STATE_HAS_JOURNAL State folder ${stateDir} already holds a plan's journal and is in use by process`,
    );
    expect(ran.stderr).toContain(
      `go on with it with \`plan-orchestrator resume ${stateDir}\`, or give another folder`,
    );
    expect(after).toEqual(before); // nothing of the first was touched
    expect(resumed.stdout + ran.stdout).not.toContain('started');

    const journal = await readJournal(join(stateDir, 'journal.jsonl'));
    expect(journal.warnings).toEqual([]);
    expect(journal.records.filter((r) => r.type === 'attempt-started')).toHaveLength(1);
    expect(journal.records.at(-1)?.type).toBe('plan-completed');
    expect(existsSync(join(stateDir, 'owner.lock'))).toBe(false); // released at the end
  });

  it('takes over the folder of a killed process, after refusing a new run there', async () => {
    const file = await waitingPlan();
    const killed = await cli(['run', file, '--state-dir', stateDir, '--reporter', 'plain'], {
      onLine: (line, child) => {
        if (line.includes('wait | waiting')) child.kill('SIGKILL');
      },
    });
    expect(killed.code).toBe(null);
    const staleLock = await readFile(join(stateDir, 'owner.lock'), 'utf8');

    const files = ['plan.source', 'plan.meta.json', 'journal.jsonl', 'owner.lock'];
    const before = await snapshotOf(files);
    const ran = await cli(['run', file, '--state-dir', stateDir, '--reporter', 'plain']);
    expect(ran.code).toBe(5);
    expect(ran.stderr).toBe(
      `error STATE_HAS_JOURNAL State folder ${stateDir} already holds a plan's journal; go on with it with \`plan-orchestrator resume ${stateDir}\`, or give another folder\n`,
    );
    expect(await snapshotOf(files)).toEqual(before);

    await writeFile(go, '');
    const resumed = await cli(['resume', stateDir, '--reporter', 'plain']);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('wait: attempt wait#1 was interrupted; it runs again');
    expect(resumed.stdout).toContain('wait | went');
    expect(JSON.parse(staleLock)).toMatchObject({ pid: expect.any(Number) });
    expect(existsSync(join(stateDir, 'owner.lock'))).toBe(false);
  });
});

/** A plan of one job that runs `true`. */
async function quickPlan(): Promise<string> {
  const file = join(dir, 'quick.json');
  await writeFile(file, JSON.stringify({ id: 'q', jobs: [{ id: 'a', run: { command: 'true' } }] }));
  return file;
}

describe('a --state-dir that cannot be used', () => {
  it('is refused with exit 2 naming it and why: a file in its path, or an empty path', async () => {
    const file = await quickPlan();
    const aFile = join(dir, 'a-file');
    await writeFile(aFile, '');
    for (const folder of [aFile, join(aFile, 'sub')]) {
      const result = await cli(['run', file, '--state-dir', folder]);
      expect(result).toMatchObject({ code: 2, stdout: '' });
      expect(result.stderr).toBe(
        `error USAGE --state-dir ${folder} cannot be used: a file is in its path where a folder belongs (ENOTDIR); give a folder this user can create and write, absent or empty\n`,
      );
    }
    const empty = await cli(['run', file, '--state-dir', '']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('--state-dir is empty');
    const status = await cli(['status', '']);
    expect(status.code).toBe(2);
    expect(status.stderr).toContain('the state folder is empty');
  });

  it('keeps the mode of a folder that was there already', async () => {
    const file = await quickPlan();
    await mkdir(stateDir, { mode: 0o755 });
    await chmod(stateDir, 0o755);
    const result = await cli(['run', file, '--state-dir', stateDir, '--reporter', 'plain']);
    expect(result.code).toBe(0);
    expect((await stat(stateDir)).mode & 0o777).toBe(0o755);
    expect((await stat(join(stateDir, 'journal.jsonl'))).mode & 0o777).toBe(0o600);
  });
});

describe('state files', () => {
  it('are private (folder 0700, files 0600) even under a umask of 000', async () => {
    const file = await quickPlan();
    const before = process.umask(0); // the command inherits it
    let result: CliResult;
    try {
      result = await cli(['run', file, '--state-dir', stateDir, '--reporter', 'plain']);
    } finally {
      process.umask(before);
    }
    expect(result.code).toBe(0);
    expect((await stat(stateDir)).mode & 0o777).toBe(0o700);
    for (const name of ['plan.source', 'plan.meta.json', 'journal.jsonl']) {
      expect((await stat(join(stateDir, name))).mode & 0o777, name).toBe(0o600);
    }
  });

  for (const name of ['plan.source', 'plan.meta.json', 'journal.jsonl']) {
    it(`are never written through a link planted at ${name}: run exits 5 naming it`, async () => {
      const file = await waitingPlan();
      const victim = join(dir, 'victim.txt');
      await writeFile(victim, 'precious');
      await mkdir(stateDir);
      await symlink(victim, join(stateDir, name));
      const result = await cli(['run', file, '--state-dir', stateDir, '--reporter', 'plain']);
      expect(result.code).toBe(5);
      expect(result.stderr).toContain(
        `error STATE_FILE_UNSAFE Refusing to use ${join(stateDir, name)}: a symbolic link is there`,
      );
      expect(await readFile(victim, 'utf8')).toBe('precious');
      expect(existsSync(join(stateDir, 'owner.lock'))).toBe(false);
    });
  }
});

describe('a state folder that cannot be read', () => {
  it('resume of a plan.meta.json of {} exits 3 with a RestoreError naming the file', async () => {
    await mkdir(stateDir);
    await writeFile(join(stateDir, 'plan.meta.json'), '{}');
    await writeFile(join(stateDir, 'plan.source'), 'id: x\njobs: []\n');
    const result = await cli(['resume', stateDir]);
    expect(result.code).toBe(3);
    expect(result.stderr).toBe(
      `error RESTORE_FAILED Cannot restore from ${join(stateDir, 'plan.meta.json')}: it has no "file" (the path of the plan file)\n`,
    );
  });

  it('status of a journal with a line null exits 3 naming the file and line', async () => {
    await mkdir(stateDir);
    const header = {
      format: 1,
      planId: 'p',
      input: { planId: 'p', jobs: [{ id: 'a', dependsOn: [] }] },
    };
    await writeFile(join(stateDir, 'journal.jsonl'), `${JSON.stringify(header)}\nnull\n`);
    const result = await cli(['status', stateDir]);
    expect(result.code).toBe(3);
    expect(result.stderr).toBe(
      `error RESTORE_FAILED Cannot restore from ${join(stateDir, 'journal.jsonl')}:2: the line is not a record (an object with a seq and a type): null\n`,
    );
  });
});
