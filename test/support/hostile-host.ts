/**
 * A host process that embeds an orchestrator and feeds it one hostile value (argv[2]), then
 * prints `settled <status> <failure as JSON>`, the records of `events$` and exits 0. A crash
 * shows as a missing line and exit code 1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { createOrchestrator, FileStore, type JobSpec, readJournal } from '../../src/index.js';
import { startInspector } from '../../src/inspector/index.js';

const cyclic: Record<string, unknown> = { reason: 'loop' };
cyclic.self = cyclic;

const rejecting = (value: unknown): JobSpec => ({
  id: 'a',
  run: async () => {
    throw value;
  },
});
const jobs: Record<string, JobSpec> = {
  'reject-bigint': rejecting(10n),
  'reject-cyclic': rejecting(cyclic),
  'reject-code-42': rejecting({ code: 42 }),
};

const kase = process.argv[2]!;
const seen: string[] = [];

async function main() {
  if (kase in jobs) {
    const orchestrator = createOrchestrator({ id: 'p', onJobFailure: 'fail', jobs: [jobs[kase]!] });
    orchestrator.start();
    return orchestrator.whenSettled();
  }
  if (kase === 'throwing-subscribers') {
    const orchestrator = createOrchestrator({
      id: 'p',
      jobs: [
        { id: 'a', run: async () => 'a' },
        { id: 'b', dependsOn: ['a'], run: async () => 'b' },
      ],
    });
    orchestrator.events$.subscribe((record) => seen.push(`${record.seq}:${record.type}`));
    orchestrator.events$.subscribe(() => {
      throw new Error('events subscriber broke');
    });
    orchestrator.view$.subscribe({
      next: () => {
        throw new TypeError('view subscriber broke');
      },
    });
    orchestrator.start();
    return orchestrator.whenSettled();
  }
  if (kase === 'bigint-output-inspected') {
    const orchestrator = createOrchestrator({
      id: 'p',
      mode: 'copilot',
      jobs: [{ id: 'a', run: async () => ({ total: 12345678901234567890n }) }],
    });
    const inspector = await startInspector(orchestrator);
    const page = new WebSocket(`ws://127.0.0.1:${inspector.port}/live?token=${inspector.token}`);
    page.on('message', (data) => {
      const text = String(data);
      if (text.includes('12345678901234567890n')) seen.push('page saw the output');
    });
    await new Promise((resolve) => page.once('message', resolve));
    orchestrator.start();
    orchestrator.send({ type: 'APPROVE' });
    const closed = new Promise((resolve) => page.once('close', resolve));
    const view = await orchestrator.whenSettled();
    // The server sends its last update, then closes the page's socket.
    await closed;
    await inspector.closed;
    return view;
  }
  if (kase === 'stored-finalize-bigint' || kase === 'stored-command-cyclic') {
    const dir = mkdtempSync(join(tmpdir(), 'hostile-host-'));
    const store = new FileStore(dir);
    const orchestrator = createOrchestrator(
      {
        id: 'p',
        onJobFailure: 'fail',
        mode: kase === 'stored-command-cyclic' ? 'copilot' : 'autopilot',
        jobs: [{ id: 'a', run: async () => 'a' }],
        finalize: async () => 10n,
      },
      { store },
    );
    orchestrator.events$.subscribe((record) => {
      if (record.type === 'finalize-failed') seen.push(`finalize-failed: ${record.error.message}`);
      if (record.type === 'command-rejected') seen.push(`command-rejected: ${record.reason}`);
    });
    orchestrator.start();
    const answer = orchestrator.send({ type: 'CANCEL', reason: cyclic as never });
    seen.push(`answer: ${JSON.stringify(answer)}`);
    if (kase === 'stored-command-cyclic') orchestrator.send({ type: 'CANCEL', reason: 'stop' });
    const view = await orchestrator.whenSettled();
    seen.push(`journal: ${(await readJournal(store.path)).records.at(-1)?.type}`);
    rmSync(dir, { recursive: true, force: true });
    return view;
  }
  throw new Error(`unknown case ${kase}`);
}

main().then((view) => {
  const failure = view.jobs[0]?.failure;
  process.stdout.write(`settled ${view.status} ${JSON.stringify(failure ?? null)}\n`);
  for (const line of seen) process.stdout.write(`${line}\n`);
});
