import type { AnyStateMachine } from 'xstate';
import { type MachineGraph, machineGraphOf } from './machine-graph.js';

/** Mermaid state ids allow letters, digits and underscores. */
const mermaidId = (id: string) => id.replaceAll('.', '_');

function describe(graph: MachineGraph, parent: string | null, indent: string, lines: string[]) {
  const states = graph.states.filter((state) => state.parent === parent);
  const initial = states.find((state) => state.initial);
  if (initial) lines.push(`${indent}[*] --> ${mermaidId(initial.id)}`);
  for (const state of states) {
    if (graph.states.some((child) => child.parent === state.id)) {
      lines.push(`${indent}state ${mermaidId(state.id)} {`);
      describe(graph, state.id, `${indent}  `, lines);
      lines.push(`${indent}}`);
    }
    if (state.final) lines.push(`${indent}${mermaidId(state.id)} --> [*]`);
  }
  for (const state of states) {
    for (const { source, target, label } of graph.transitions) {
      if (source === state.id) {
        lines.push(`${indent}${mermaidId(source)} --> ${mermaidId(target)}: ${label}`);
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
  describe(machineGraphOf(machine), null, '  ', lines);
  return `${[...new Set(lines)].join('\n')}\n`;
}
