import { fromPromise } from 'xstate';
import { type HookInput, integrationMachine } from '../../machines/integration.machine.js';
import type { PlanSummary } from '../../machines/plan.machine.js';
import { unstorablePart } from '../persistence/storable.js';
import type { IntegrationSpec, PlanSpec } from '../plan/types.js';

/**
 * The plan's hooks as invoked actors: each call gets the actor's `AbortSignal`, aborted when the
 * actor is stopped (plan canceled, check timed out), and any throw becomes the actor's error.
 */
export function createIntegrationLogic(planId: string, hooks: IntegrationSpec | undefined) {
  const subject = (input: HookInput) => ({
    jobId: input.jobId,
    integrationId: input.integrationId,
    output: input.output,
  });
  return integrationMachine.provide({
    actors: {
      integrate: fromPromise<{ changed: boolean }, HookInput>(async ({ input, signal }) => {
        const result = await hooks?.integrate(subject(input), { planId, signal });
        return { changed: result?.changed !== false };
      }),
      check: fromPromise<boolean, HookInput>(async ({ input, signal }) => {
        const verdict = await hooks?.check?.(subject(input), { planId, signal });
        return verdict !== false;
      }),
      rollback: fromPromise<void, HookInput>(async ({ input, signal }) => {
        await hooks?.rollback?.(subject(input), { planId, signal });
      }),
    },
  });
}

/** With a store, what `finalize` returns is recorded, so it must be plain JSON data. */
export function createFinalizeLogic(plan: PlanSpec, storable: boolean) {
  return fromPromise<unknown, PlanSummary>(async ({ input, signal }) => {
    const output = await plan.finalize?.(input, { planId: plan.id, signal });
    const problem = storable ? unstorablePart(output, 'output') : null;
    if (problem) {
      throw new Error(
        `finalize of plan "${plan.id}" returned an output that cannot be stored: ${problem}; return plain JSON data`,
      );
    }
    return output;
  });
}
