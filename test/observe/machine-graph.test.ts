import { describe, expect, it } from 'vitest';
import { jobMachine, machineGraphOf, planMachine } from '../../src/index.js';

describe('machineGraphOf', () => {
  it('gives the plan machine’s nested scheduling states and their eventless transitions', () => {
    const graph = machineGraphOf(planMachine);
    expect(graph.id).toBe('plan');
    const running = graph.states.filter((state) => state.parent === 'running');
    expect(running.map((state) => [state.id, state.initial])).toEqual([
      ['running.idle', true],
      ['running.triage', false],
      ['running.reconciling', false],
      ['running.reconcilePending', false],
    ]);
    expect(graph.transitions).toContainEqual({
      source: 'running.reconciling',
      target: 'running.reconcilePending',
      label: 'always [dirty]',
    });
  });

  it('draws where a job ends as where its actor takes the next, and labels events with guards', () => {
    const graph = machineGraphOf(jobMachine);
    expect(graph.states.filter((state) => state.final)).toEqual([]);
    for (const end of ['succeeded', 'failed', 'canceled']) {
      expect(graph.transitions).toContainEqual({ source: end, target: 'running', label: 'RUN' });
    }
    expect(graph.transitions).toContainEqual({
      source: 'running',
      target: 'backingOff',
      label: 'ATTEMPT_FAILED [mayRetry]',
    });
  });
});
