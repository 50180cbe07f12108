import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli } from './run-cli.js';

const examples = join(import.meta.dirname, '..', '..', 'examples');

/** git with a fixed identity and no configuration of the machine it runs on. */
const env: NodeJS.ProcessEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Train Test',
  GIT_AUTHOR_EMAIL: 'train@example.test',
  GIT_COMMITTER_NAME: 'Train Test',
  GIT_COMMITTER_EMAIL: 'train@example.test',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
};

let repo: string;
const git = (...args: string[]) =>
  execFileSync('git', ['-c', 'init.defaultBranch=main', ...args], { cwd: repo, env })
    .toString()
    .trim();

beforeEach(async () => {
  repo = await mkdtemp(join(tmpdir(), 'git-merge-train-'));
  git('init', '--quiet');
  // The project: its tests refuse any text file that still holds a TODO.
  await writeFile(join(repo, 'test.sh'), '! grep -rn TODO --include=*.txt .\n');
  await writeFile(join(repo, 'README'), 'A project merged by a train.\n');
  await cp(join(examples, 'git-merge-train.yaml'), join(repo, 'git-merge-train.yaml'));
  await cp(join(examples, 'git-merge-train'), join(repo, 'git-merge-train'), { recursive: true });
  git('add', '--all');
  git('commit', '--quiet', '-m', 'Start');
});
afterEach(async () => {
  await rm(repo, { recursive: true, force: true });
});

describe('examples/git-merge-train.yaml', () => {
  it('merges each job branch into integration, refuses a conflict, rolls back a failing check and tags the result', async () => {
    const stateDir = join(repo, '.merge-train', 'state');
    const failed: string[] = [];
    let steering = Promise.resolve();
    const result = await cli(
      ['run', join(repo, 'git-merge-train.yaml'), '--state-dir', stateDir, '--reporter', 'plain'],
      {
        env,
        onLine: (line) => {
          const failure = / (\S+): failed \((\w+)\)/.exec(line);
          if (failure) failed.push(`${failure[1]} ${failure[2]}`);
          // A person looks at the failure and drops that job's work.
          if (line.includes('plan paused at on_error')) {
            const job = failed.at(-1)!.split(' ')[0]!;
            steering = steering.then(async () => {
              const skip = await cli(['skip', job, '--state-dir', stateDir], { env });
              expect(skip.stdout).toBe('SKIP_JOB accepted\n');
            });
          }
        },
      },
    );
    await steering;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(failed).toEqual(['greeting-fr integration_conflict', 'notes check_failed']);

    // Merged in plan order; the conflicting and the rolled-back work are not on the branch.
    expect(git('log', '--first-parent', '--format=%s', 'main..integration')).toBe(
      'Merge train/farewell (farewell)\nMerge train/greeting (greeting)',
    );
    expect(git('rev-parse', 'integration^2', 'integration^1^2')).toBe(
      `${git('rev-parse', 'train/farewell')}\n${git('rev-parse', 'train/greeting')}`,
    );
    expect(git('show', 'integration:greeting.txt')).toBe('Hello');
    expect(git('ls-tree', '--name-only', 'integration')).not.toContain('notes.txt');
    expect(git('rev-parse', 'git-merge-train^{commit}')).toBe(git('rev-parse', 'integration'));
    expect(git('status', '--porcelain')).toBe('');
    expect(await readFile(join(repo, '.merge-train', 'SUMMARY.txt'), 'utf8')).toBe(
      'Merge train/farewell (farewell)\nMerge train/greeting (greeting)\n',
    );
    // notes received farewell's commit through its outputs, verbatim in one argument.
    const farewell = git('rev-parse', 'train/farewell');
    expect(git('show', 'train/notes:notes.txt')).toBe(`TODO: thank ${farewell}`);

    const status = await cli(['status', stateDir], { env });
    expect(status.stdout).toMatch(
      new RegExp(
        `farewell +succeeded +attempt 1 +outputs: branch="train/farewell" commit="${farewell}"`,
      ),
    );
  });
});
