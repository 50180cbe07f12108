import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createTestOrchestrator } from '../src/testing/index.js';

describe('the README', () => {
  it('test-kit example does what the README says', async () => {
    const kit = createTestOrchestrator({
      id: 'p',
      jobs: [
        { id: 'A', retry: { maxAttempts: 2 } },
        { id: 'B', dependsOn: ['A'] },
      ],
    });
    await kit.start();
    await kit.fail('A'); // attempt 1 fails
    await kit.advance(1000); // the retry delay passes on the simulated clock
    await kit.complete('A', 'ok'); // attempt 2 succeeds
    await kit.complete('B');
    expect(kit.sequence(/^(start|succeeded)/)).toEqual([
      'start A#1',
      'start A#2',
      'succeeded A#2',
      'start B#1',
      'succeeded B#1',
    ]);
    kit.checkInvariants();
  });

  it('tracing example prints a span for the plan and one for each job attempt', async () => {
    const root = join(import.meta.dirname, '..');
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    const example = /## Tracing\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)![1]!;
    // Run as written, with the package's entries resolved to its sources.
    const script = example
      .replace("from 'plan-orchestrator';", "from './src/index.ts';")
      .replace("from 'plan-orchestrator/otel';", "from './src/otel/index.ts';");
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '--eval', script],
      { cwd: root },
    );
    const names = [...stdout.matchAll(/^ {2}name: '([^']+)'/gm)].map((match) => match[1]);
    expect(names).toEqual(['job build', 'job test', 'plan nightly']);
    expect(stdout).toContain("'plan_orchestrator.outcome': 'completed'");
  });
});
