import { createWebSocketInspector } from '@statelyai/inspect';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { createOrchestrator } from '../../src/index.js';

interface Message {
  type: string;
  sessionId: string;
  event?: { type: string };
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
    const events = messages.filter((m) => m.type === '@xstate.event').map((m) => m.event?.type);
    expect(events).toEqual(expect.arrayContaining(['JOB_STARTED', 'JOB_COMPLETED']));
    expect(messages.some((m) => m.type === '@xstate.snapshot')).toBe(true);
  });
});
