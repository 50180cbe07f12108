import { createWebSocketInspector } from '@statelyai/inspect';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { createOrchestrator } from '../../src/index.js';

interface Message {
  type: string;
  sessionId: string;
  event?: { type: string; output?: unknown };
  snapshot?: { value?: unknown };
  definition?: string;
}

describe('@statelyai/inspect', () => {
  it('receives the actors, events and snapshots of the plan and its jobs through the inspect option', async () => {
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
    const orchestrator = createOrchestrator(
      {
        id: 'inspected',
        jobs: [
          { id: 'a', run: async () => 'a' },
          { id: 'b', dependsOn: ['a'], run: async () => 'b' },
        ],
      },
      { inspect: inspector.inspect },
    );
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

    const actors = messages.filter((m) => m.type === '@xstate.actor');
    const machineIds = actors.map((m) => JSON.parse(m.definition ?? '{}').id).filter(Boolean);
    expect(machineIds).toContain('plan');
    expect(machineIds.filter((id: string) => id === 'job')).toHaveLength(2);
    const events = messages.filter((m) => m.type === '@xstate.event').map((m) => m.event);
    // The jobs' events (an attempt's outcome), and the plan's from its jobs: a job actor's done
    // event carries the job's outcome.
    expect(events.map((e) => e?.type)).toContain('ATTEMPT_SUCCEEDED');
    const outcomes = events.filter((e) => e?.type.startsWith('xstate.done.actor.'));
    expect(outcomes.map((e) => e?.output)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'JOB_COMPLETED', jobId: 'a', output: 'a' }),
        expect.objectContaining({ type: 'JOB_COMPLETED', jobId: 'b', output: 'b' }),
      ]),
    );
    expect(messages.some((m) => m.type === '@xstate.snapshot')).toBe(true);
  });
});
