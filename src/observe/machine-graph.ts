import type { AnyStateMachine, AnyStateNode } from 'xstate';

/** A statechart as plain data: what diagrams and the inspector page draw. */
export interface MachineGraph {
  /** The machine's id (`plan`, `job`, `integration`). */
  id: string;
  /** Every state but the root, parents before children. */
  states: MachineState[];
  transitions: MachineTransition[];
}

/** One state of a statechart. */
export interface MachineState {
  /** Dot-separated path from the root, as in a snapshot value: `running.reconciling`. */
  id: string;
  /** The state's own name: `reconciling`. */
  key: string;
  /** The `id` of the state it is in; null for the root. */
  parent: string | null;
  /** The state its parent enters first. */
  initial: boolean;
  /** A final state. */
  final: boolean;
}

/** One transition of a statechart, between two states' `id`s. */
export interface MachineTransition {
  /** The state it leaves. */
  source: string;
  /** The state it enters. */
  target: string;
  /** The event (`always` for eventless transitions) and its guard: `JOB_FAILED [mayRetry]`. */
  label: string;
}

const pathOf = (node: AnyStateNode) => node.path.join('.');

/** What a transition is labelled with: its event (or `always`) and its guard. */
function labelOf(eventType: string, guard: unknown): string {
  const event =
    eventType === ''
      ? 'always'
      : eventType.replace(/^xstate\.(done|error)\.actor\.(?:.*\.)?([^.]+)$/, '$1: $2');
  const name =
    typeof guard === 'string'
      ? guard
      : typeof guard === 'function'
        ? 'guarded'
        : (guard as { type?: string } | undefined)?.type;
  return name ? `${event} [${name}]` : event;
}

/**
 * The states and transitions of a machine. Transitions of the root (handlers that apply in every
 * state) are left out: they have no state to start from.
 */
export function machineGraphOf(machine: AnyStateMachine): MachineGraph {
  const graph: MachineGraph = { id: machine.id, states: [], transitions: [] };
  const visit = (node: AnyStateNode) => {
    const initial = node.initial?.target?.[0];
    for (const child of Object.values(node.states) as AnyStateNode[]) {
      graph.states.push({
        id: pathOf(child),
        key: child.key,
        parent: node.parent ? pathOf(node) : null,
        initial: child === initial,
        final: child.type === 'final',
      });
      const transitions = [...child.transitions.values(), child.always ?? []].flat();
      for (const transition of transitions) {
        for (const target of transition.target ?? []) {
          graph.transitions.push({
            source: pathOf(child),
            target: pathOf(target),
            label: labelOf(transition.eventType, transition.guard),
          });
        }
      }
      visit(child);
    }
  };
  visit(machine.root);
  return graph;
}
