import type { AnyStateMachine, AnyStateNode } from 'xstate';

/** Mermaid state ids allow letters, digits and underscores. */
const idOf = (node: AnyStateNode) => node.path.join('_') || 'root';

/** What a transition is labelled with: its event (or `always`) and its guard. */
function label(eventType: string, guard: unknown): string {
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

function describe(node: AnyStateNode, indent: string, lines: string[]): void {
  const children = Object.values(node.states) as AnyStateNode[];
  if (node.initial?.target?.[0]) lines.push(`${indent}[*] --> ${idOf(node.initial.target[0])}`);
  for (const child of children) {
    if (Object.keys(child.states).length > 0) {
      lines.push(`${indent}state ${idOf(child)} {`);
      describe(child, `${indent}  `, lines);
      lines.push(`${indent}}`);
    }
    if (child.type === 'final') lines.push(`${indent}${idOf(child)} --> [*]`);
  }
  for (const child of [node, ...children]) {
    if (child === node && node.parent === undefined) continue;
    const transitions = [...child.transitions.values(), child.always ?? []].flat();
    for (const transition of transitions) {
      for (const target of transition.target ?? []) {
        if (child === node && target.parent !== node.parent) continue;
        lines.push(
          `${indent}${idOf(child)} --> ${idOf(target)}: ${label(transition.eventType, transition.guard)}`,
        );
      }
    }
  }
}

/**
 * A Mermaid state diagram of a machine (`planMachine`, `jobMachine`, `integrationMachine`): its
 * states, nested states, and every transition with its event and guard.
 */
export function machineToMermaid(machine: AnyStateMachine): string {
  const lines = ['stateDiagram-v2'];
  describe(machine.root, '  ', lines);
  return `${[...new Set(lines)].join('\n')}\n`;
}
