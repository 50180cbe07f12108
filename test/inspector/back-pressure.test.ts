import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createOrchestrator, type Orchestrator } from '../../src/index.js';
import { SLOW_CLIENT_BYTES } from '../../src/inspector/hub.js';
import { type Inspector, startInspector } from '../../src/inspector/index.js';

const JOBS = 40;
/** Each finished job puts its output in an update twice (its record and its view). */
const OUTPUT = 'x'.repeat(256 * 1024);

interface Received {
  type: string;
  bytes: number;
  message: {
    type: string;
    view?: { counts: Record<string, number> };
    jobs?: { id: string; status: string }[];
  };
}

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

/** A page that records every message; resolves once its first message (the plan) arrived. */
function openPage(inspector: Inspector): Promise<{ socket: WebSocket; received: Received[] }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${inspector.port}/live?token=${inspector.token}`);
    const received: Received[] = [];
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(String(data));
      received.push({ type: message.type, bytes: data.length, message });
      if (received.length === 1) resolve({ socket, received });
    });
    socket.once('error', reject);
  });
}

function until(socket: WebSocket, received: Received[], done: (r: Received) => boolean) {
  return new Promise<Received>((resolve, reject) => {
    const check = () => {
      const hit = received.find(done);
      if (!hit) return;
      socket.off('message', onMessage);
      socket.off('close', onClose);
      resolve(hit);
    };
    const onMessage = () => setImmediate(check);
    const onClose = (code: number, reason: Buffer) => reject(new Error(`closed ${code} ${reason}`));
    socket.on('message', onMessage);
    socket.on('close', onClose);
    check();
  });
}

describe('the inspector holds back updates from a page that does not read', () => {
  let orchestrator: Orchestrator;
  let inspector: Inspector;

  afterEach(async () => {
    orchestrator?.cancel();
    await inspector?.close();
  });

  it('skips updates for a page with over 1 MiB unsent and sends it the latest plan once it reads again', async () => {
    const gates = Array.from({ length: JOBS }, gate);
    const hold = gate();
    orchestrator = createOrchestrator({
      id: 'slow-page',
      jobs: [
        ...gates.map((g, i) => ({
          id: `job-${i}`,
          run: async () => {
            await g.opened;
            return OUTPUT;
          },
        })),
        {
          id: 'hold',
          run: async () => {
            await hold.opened;
            return 'held';
          },
        },
      ],
    });
    inspector = await startInspector(orchestrator);
    const reader = await openPage(inspector);
    const slow = await openPage(inspector);
    slow.socket.pause();
    orchestrator.start();

    for (const [i, g] of gates.entries()) {
      g.open();
      await until(reader.socket, reader.received, (r) =>
        (r.message.jobs ?? []).some((job) => job.id === `job-${i}` && job.status === 'succeeded'),
      );
    }
    const sentToReader = reader.received
      .filter((r) => r.type === 'update')
      .reduce((sum, r) => sum + r.bytes, 0);
    expect(sentToReader).toBeGreaterThan(16 * SLOW_CLIENT_BYTES);

    slow.socket.resume();
    const latest = await until(
      slow.socket,
      slow.received,
      (r) => r.type === 'hello' && r.message.view?.counts.succeeded === JOBS,
    );
    const updatesToSlow = slow.received.filter((r) => r.type === 'update');
    const beforeCatchUp = updatesToSlow
      .filter((r) => slow.received.indexOf(r) < slow.received.indexOf(latest))
      .reduce((sum, r) => sum + r.bytes, 0);
    // What was queued for it while it did not read: far less than what the reader got.
    expect(beforeCatchUp).toBeLessThan(sentToReader / 2);
    expect(updatesToSlow.length).toBeLessThan(
      reader.received.filter((r) => r.type === 'update').length,
    );
    hold.open();
    await orchestrator.whenSettled();
  });
});
