import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Scenario tests are event-sequence tests on a simulated clock; nothing waits on wall time.
    testTimeout: 60_000,
  },
});
