/**
 * The test kit of plan-orchestrator: `createTestOrchestrator` runs a plan on a simulated clock
 * with jobs and hooks the test settles by hand, records every record, and checks the invariants.
 *
 * @module plan-orchestrator/testing
 */
export { formatRecord } from './format.js';
export { HeldStore } from './held-store.js';
export { assertInvariants, findInvariantViolations, type InvariantInput } from './invariants.js';
export type { Settlable } from './settlable.js';
export { TestClock } from './test-clock.js';
export {
  type AttemptHandle,
  createTestOrchestrator,
  type HookCall,
  type HookName,
  type Manual,
  resumeTestOrchestrator,
  type TestCommand,
  type TestJobSpec,
  type TestOrchestrator,
  type TestOrchestratorOptions,
  type TestPlanSpec,
} from './test-orchestrator.js';
