import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('examples', () => {
  it('release-pipeline (npm start) runs to completion and prints every job and the summary', async () => {
    const { stdout } = await run(process.execPath, [
      '--import',
      'tsx',
      'examples/release-pipeline.ts',
    ]);
    expect(stdout).toContain(
      '↻ integration-tests: database container not ready; retrying in 400 ms',
    );
    for (const job of [
      'checkout',
      'lint',
      'unit-tests',
      'integration-tests',
      'build',
      'docs',
      'package',
      'publish',
    ]) {
      expect(stdout).toMatch(new RegExp(`✔ ${job}\\n`));
    }
    expect(stdout).toContain('Plan "release" completed.');
    expect(stdout).toMatch(/integration-tests\s+succeeded\s+attempts 2/);
  });

  it('merge-train integrates one job at a time, rolls back a failed check and finishes', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/merge-train.ts']);
    expect(stdout).toContain('✖ docs: check_failed: check returned false');
    expect(stdout).toContain('⏸ docs failed: the supervisor has it run again');
    expect(stdout.match(/⏸ checkpoint pre_integrate for docs/g)).toHaveLength(1);
    expect(stdout).toContain(
      'Plan "merge-train" completed. Shared folder: README.txt, lexer.txt, parser.txt, printer.txt',
    );
    const integrating = stdout
      .split('\n')
      .filter((line) => /integrating|integrated|check_failed/.test(line));
    // Never two integrations at once: each "integrating" is followed by its own outcome.
    for (let i = 0; i < integrating.length; i += 2) {
      const job = integrating[i]!.split(' ')[1];
      expect(integrating[i + 1]).toContain(`${job}`);
    }
  });
});
