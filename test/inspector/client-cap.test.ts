import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createOrchestrator, InspectorError, type Orchestrator } from '../../src/index.js';
import { type Inspector, startInspector } from '../../src/inspector/index.js';

/** A page's WebSocket once it is open and has its first message, the plan's snapshot. */
function openPage(inspector: Inspector): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${inspector.port}/live?token=${inspector.token}`);
    socket.once('message', () => resolve(socket));
    socket.once('close', (code, reason) => reject(new Error(`closed ${code} ${reason}`)));
    socket.once('error', reject);
  });
}

/** How the server ended a WebSocket that got no message first. */
function refusal(inspector: Inspector, path = '/live'): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(
      `ws://127.0.0.1:${inspector.port}${path}?token=${inspector.token}`,
    );
    socket.once('message', () => reject(new Error('the page was served')));
    socket.once('close', (code, reason) => resolve({ code, reason: String(reason) }));
  });
}

const closed = (socket: WebSocket) =>
  new Promise<void>((resolve) => {
    socket.once('close', () => resolve());
    socket.close();
  });

describe('the inspector caps its WebSocket clients', () => {
  let orchestrator: Orchestrator;
  let inspector: Inspector;

  const start = async (maxClients?: number) => {
    orchestrator = createOrchestrator({
      id: 'capped',
      mode: 'copilot',
      jobs: [{ id: 'a', run: async () => 'a' }],
    });
    inspector = await startInspector(orchestrator, maxClients ? { maxClients } : {});
    orchestrator.start();
  };

  afterEach(async () => {
    orchestrator?.cancel();
    await inspector?.close();
  });

  it('closes the client past maxClients with code 1013 and a reason, and serves one again once a client leaves', async () => {
    await start(2);
    const first = await openPage(inspector);
    await openPage(inspector);
    expect(await refusal(inspector)).toEqual({
      code: 1013,
      reason: 'the inspector serves at most 2 WebSocket clients at once; close one and try again',
    });
    // An app's @statelyai/inspect socket counts too.
    expect((await refusal(inspector, '/inspect')).code).toBe(1013);
    await closed(first);
    const again = await openPage(inspector);
    expect(again.readyState).toBe(WebSocket.OPEN);
  });

  it('serves 32 clients by default and refuses the 33rd', async () => {
    await start();
    await Promise.all(Array.from({ length: 32 }, () => openPage(inspector)));
    expect((await refusal(inspector)).code).toBe(1013);
  });

  it('refuses a maxClients outside 1 to 1,024', async () => {
    orchestrator = createOrchestrator({ id: 'bad', jobs: [{ id: 'a', run: async () => 'a' }] });
    for (const maxClients of [0, 1025, 1.5, Number.NaN]) {
      await expect(startInspector(orchestrator, { maxClients })).rejects.toThrow(
        new InspectorError(
          'INSPECTOR_OPTION',
          `Inspector option maxClients must be an integer from 1 to 1024; got ${JSON.stringify(maxClients)}`,
        ),
      );
    }
  });
});
