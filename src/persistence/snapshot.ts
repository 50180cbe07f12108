import type { PlanContext } from '../../machines/plan/context.js';
import { RestoreError } from '../shared/errors.js';

/** What a plan's records add up to: the state a snapshot holds. */
export interface FoldState {
  /** The last record folded in. */
  seq: number;
  context: PlanContext;
  /** Absolute clock time each retrying job's next attempt is due. */
  retryAt: Record<string, number>;
  finished: 'completed' | 'failed' | 'canceled' | null;
}

/**
 * A snapshot as stored: the fold state at `seq`, so that a restore reads only the tail after it.
 * A store keeps it as it is given (JSON data); its `state` is the library's own.
 */
export interface PlanSnapshot {
  format: 1;
  seq: number;
  state: FoldState;
}

/** Checks a snapshot read back from storage before it is trusted. */
export function checkSnapshot(value: unknown, file: string): PlanSnapshot {
  const snapshot = value as Partial<PlanSnapshot> | null;
  if (!snapshot || typeof snapshot !== 'object' || snapshot.format !== 1) {
    throw new RestoreError(
      file,
      null,
      `unknown snapshot format ${JSON.stringify(snapshot?.format)} (this version reads 1)`,
    );
  }
  if (typeof snapshot.seq !== 'number' || !snapshot.state?.context?.jobs) {
    throw new RestoreError(file, null, 'the snapshot has no plan state');
  }
  return snapshot as PlanSnapshot;
}

/**
 * A snapshot serialized when it was taken: its text is its copy of the plan's state, which goes
 * on changing after it. Cheaper than a copy of the objects (one `JSON.stringify` of the state,
 * which a store makes anyway), and a store writes the text as it is (`snapshotJson`). Any other
 * use reads it back: `state` parses the text, and so does `JSON.stringify` (`toJSON`).
 */
export class SnapshotText implements PlanSnapshot {
  readonly format = 1 as const;

  private constructor(
    readonly seq: number,
    readonly text: string,
  ) {}

  static of(snapshot: PlanSnapshot): SnapshotText {
    return new SnapshotText(snapshot.seq, JSON.stringify(snapshot));
  }

  get state(): FoldState {
    return this.toJSON().state;
  }

  toJSON(): PlanSnapshot {
    return JSON.parse(this.text) as PlanSnapshot;
  }
}

/** A snapshot as the JSON text a store keeps. */
export function snapshotJson(snapshot: PlanSnapshot): string {
  return snapshot instanceof SnapshotText ? snapshot.text : JSON.stringify(snapshot);
}
