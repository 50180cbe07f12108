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
  resumeTestOrchestrator,
  type TestCommand,
  type TestOrchestrator,
  type TestOrchestratorOptions,
} from './test-orchestrator.js';
export type { HookName, Manual, TestJobSpec, TestPlanSpec } from './test-plan.js';
