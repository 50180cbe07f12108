import type { PlanRecord } from '../../machines/plan/records.js';

/** A plan record as `events$` and the journal carry it: numbered and timed. */
export type StampedRecord = PlanRecord & {
  /** 1, 2, 3… in the order the plan produced them. */
  seq: number;
  /** Milliseconds from the orchestrator's clock when the record was made. */
  at: number;
};
