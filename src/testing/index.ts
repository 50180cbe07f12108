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
export type { TestJobSpec, TestPlanSpec } from './test-plan.js';
