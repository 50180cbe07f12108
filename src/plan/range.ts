/**
 * The one check of a number against its bounds, for plan fields, library options and command
 * line flags alike, so that every such refusal reads the same way:
 * `<subject> must be an integer from <min> to <max>; got <value>`.
 */
export interface Bounds {
  /** Whether only whole numbers are accepted. */
  integer: boolean;
  min: number;
  max: number;
  /** Says where a computed minimum comes from: `from 500 (the initialDelayMs)`. */
  minNote?: string;
  /** The unit, said after the bounds: `to 600000 (milliseconds)`. */
  unit?: string;
}

export interface RangeWording {
  /** Renders the value that was given. Default `JSON.stringify`. */
  show?: (value: unknown) => string;
  /** Writes the bounds with thousands separators (`1,000,000,000`). Default false. */
  grouped?: boolean;
  /** Adds that leaving the value out is fine too (it has a default). Default false. */
  optional?: boolean;
}

/** Whether `value` is a finite number within `bounds` (and whole, when they say so). */
export function withinBounds(value: unknown, bounds: Bounds): value is number {
  return (
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!bounds.integer || Number.isInteger(value)) &&
    value >= bounds.min &&
    value <= bounds.max
  );
}

/** The refusal of `value` for `subject`: what it must be, between which bounds, and what it got. */
export function rangeMessage(
  subject: string,
  value: unknown,
  bounds: Bounds,
  wording: RangeWording = {},
): string {
  const number = (n: number) => (wording.grouped ? n.toLocaleString('en-US') : String(n));
  const kind = bounds.integer ? 'an integer' : 'a number';
  const min = bounds.minNote ? `${number(bounds.min)} (${bounds.minNote})` : number(bounds.min);
  const max = bounds.unit ? `${number(bounds.max)} (${bounds.unit})` : number(bounds.max);
  const optional = wording.optional ? ', or left out for the default' : '';
  const shown = (wording.show ?? JSON.stringify)(value);
  return `${subject} must be ${kind} from ${min} to ${max}${optional}; got ${shown}`;
}

/** `null` when `value` is within `bounds`, otherwise the message refusing it. */
export function rangeProblem(
  subject: string,
  value: unknown,
  bounds: Bounds,
  wording?: RangeWording,
): string | null {
  return withinBounds(value, bounds) ? null : rangeMessage(subject, value, bounds, wording);
}
