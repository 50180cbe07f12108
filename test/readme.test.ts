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
});
