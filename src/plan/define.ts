import { PlanValidationError } from '../shared/errors.js';
import type { PlanSpec } from './types.js';
import { findPlanIssues } from './validate.js';

/** Returns the plan unchanged when it is valid; otherwise throws listing every problem. */
export function definePlan<const T extends PlanSpec>(spec: T): T {
  const issues = findPlanIssues(spec);
  if (issues.length > 0) throw new PlanValidationError(issues);
  return spec;
}
