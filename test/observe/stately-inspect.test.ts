import { createWebSocketInspector } from '@statelyai/inspect';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { createOrchestrator } from '../../src/index.js';

interface Message {
  type: string;
  sessionId: string;
  event?: { type: string; output?: unknown };
  snapshot?: { value?: unknown; context?: { jobId?: string } };
  definition?: string;
}

/** Runs the plan with a WebSocket inspector and returns every message it sent. */
async function inspectRun(plan: Parameters<typeof createOrchestrator>[0]): Promise<Message[]> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as { port: number };
  const messages: Message[] = [];
  let onMessage = () => {};
  server.on('connection', (socket) => {
    socket.on('message', (data) => {
      messages.push(JSON.parse(String(data)));
      onMessage();
    });
  });

  const inspector = createWebSocketInspector({ url: `ws://127.0.0.1:${port}` });
  const orchestrator = createOrchestrator(plan, { inspect: inspector.inspect });
  orchestrator.start();
  await orchestrator.whenSettled();
  // The inspector sends as soon as its socket is open: wait for the plan's final snapshot.
  const finalSeen = () =>
    messages.some((m) => m.type === '@xstate.snapshot' && m.snapshot?.value === 'completed');
  await new Promise<void>((resolve) => {
    onMessage = () => finalSeen() && resolve();
    onMessage();
  });
  inspector.stop();
  server.close();
  return messages;
}

const machineIdsOf = (messages: Message[]): string[] =>
  messages
    .filter((m) => m.type === '@xstate.actor')
    .map((m) => JSON.parse(m.definition ?? '{}').id)
    .filter(Boolean);

const outcomesOf = (messages: Message[]) =>
  messages
    .filter((m) => m.type === '@xstate.event')
    .map((m) => m.event)
    .filter((e) => e?.type === 'JOB_COMPLETED');

/** Each job's states, in order, from the snapshots of the job actors that ran it. */
const jobStatesOf = (messages: Message[]) => {
  const states: Record<string, unknown[]> = {};
  for (const m of messages) {
    const jobId = m.snapshot?.context?.jobId;
    if (m.type !== '@xstate.snapshot' || jobId === undefined) continue;
    states[jobId] = [...(states[jobId] ?? []), m.snapshot?.value];
  }
  return states;
};

describe('@statelyai/inspect', () => {
  it('receives the actors, events and snapshots of the plan and its jobs through the inspect option', async () => {
    const messages = await inspectRun({
      id: 'inspected',
      jobs: [
        { id: 'a', run: async () => 'a' },
        { id: 'b', dependsOn: ['a'], run: async () => 'b' },
      ],
    });

    const machineIds = machineIdsOf(messages);
    expect(machineIds).toContain('plan');
    // One job actor: b runs in the slot a ran in, and each job's statechart shows its own life.
    expect(machineIds.filter((id: string) => id === 'job')).toHaveLength(1);
    // (b's actor may be stopped with the plan before its last snapshot is sent.)
    expect(jobStatesOf(messages)).toEqual({
      a: ['running', 'succeeded'],
      b: expect.arrayContaining(['running']),
    });
    const events = messages.filter((m) => m.type === '@xstate.event').map((m) => m.event);
    // The jobs' events (an attempt's outcome, the plan's next job), and the plan's from its jobs.
    expect(events.map((e) => e?.type)).toEqual(
      expect.arrayContaining(['ATTEMPT_SUCCEEDED', 'RUN', 'JOB_COMPLETED']),
    );
    expect(outcomesOf(messages)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'JOB_COMPLETED', jobId: 'a', output: 'a' }),
        expect.objectContaining({ type: 'JOB_COMPLETED', jobId: 'b', output: 'b' }),
      ]),
    );
    expect(messages.some((m) => m.type === '@xstate.snapshot')).toBe(true);
  });

  it("shows each job's statechart and outcome when the plan holds its job actors in groups", async () => {
    const messages = await inspectRun({
      id: 'grouped',
      maxParallel: 1_000,
      jobs: [
        { id: 'a', run: async () => 'a' },
        { id: 'b', run: async () => 'b' },
      ],
    });

    // The group is the runtime's pool (not a statechart); each job actor in it is inspected.
    const machineIds = machineIdsOf(messages);
    expect(machineIds.filter((id: string) => id === 'job')).toHaveLength(2);
    const jobSnapshots = messages.filter(
      (m) => m.type === '@xstate.snapshot' && m.snapshot?.value === 'succeeded',
    );
    expect(jobSnapshots.length).toBeGreaterThanOrEqual(2);
    expect(outcomesOf(messages)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'JOB_COMPLETED', jobId: 'a', output: 'a' }),
        expect.objectContaining({ type: 'JOB_COMPLETED', jobId: 'b', output: 'b' }),
      ]),
    );
  });
});
