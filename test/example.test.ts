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
});
